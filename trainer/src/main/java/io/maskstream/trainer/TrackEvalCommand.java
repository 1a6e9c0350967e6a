package io.maskstream.trainer;

import io.maskstream.schemas.cli.UserException;
import io.maskstream.trainer.eval.mot.MotEvaluator;
import io.maskstream.trainer.eval.mot.MotPreprocess;
import io.maskstream.trainer.eval.mot.MotReport;
import io.maskstream.trainer.eval.mot.MotSequence;
import io.maskstream.trainer.eval.mot.MotSequences;
import io.maskstream.trainer.eval.mot.MotTable;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code maskstream track-eval}: multi-object tracking metrics (HOTA, CLEAR MOT, IDF1) of tracker
 * output against ground truth with identities, both in MOTChallenge text format, as TrackEval
 * computes them.
 */
@Command(
    name = "track-eval",
    mixinStandardHelpOptions = true,
    description = {
      "HOTA, MOTA, IDF1, ID switches of tracked results, as TrackEval (MOTChallenge) computes them.",
      "Files: one box per line, frame,id,left,top,width,height,conf,x,y,z (frames from 1);"
          + " every ground-truth line counts unless --preprocess says otherwise.",
      "Figures in %% except the counts: IDSW ID switches, Frag fragmentations, MT/PT/ML mostly"
          + " tracked / partly tracked / mostly lost objects, FP/FN false positives / misses."
    })
public final class TrackEvalCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--gt",
      paramLabel = "PATH",
      required = true,
      description = {
        "Ground truth: a gt.txt file; a folder with gt.txt (shapes --video) or gt/gt.txt"
            + " (a MOTChallenge sequence); or a folder of sequences SEQ/gt/gt.txt, combined as"
            + " TrackEval combines them. A sequence's seqinfo.ini gives its length."
      })
  Path gt;

  @Option(
      names = "--results",
      paramLabel = "FILE",
      required = true,
      description =
          "Tracker output: a file for one sequence, a folder with SEQ.txt per sequence for several.")
  Path results;

  @Option(
      names = "--preprocess",
      paramLabel = "none|mot17|mot20",
      defaultValue = "none",
      description = {
        "none (default): every ground-truth line counts.",
        "mot17 (also MOT16) or mot20: MOTChallenge ground truth"
            + " (frame,id,left,top,width,height,flag,class,visibility) preprocessed as TrackEval"
            + " does: only pedestrians (class 1) with a non-zero flag count, and tracker boxes"
            + " matching a distractor (person on vehicle, static person, distractor, reflection;"
            + " mot20 also non-motorised vehicle) are removed."
      })
  String preprocess;

  @Override
  public Integer call() {
    MotPreprocess mode =
        switch (preprocess.toLowerCase(Locale.ROOT)) {
          case "none" -> MotPreprocess.NONE;
          case "mot16", "mot17" -> MotPreprocess.MOT17;
          case "mot20" -> MotPreprocess.MOT20;
          default ->
              throw new UserException(
                  "unknown --preprocess '" + preprocess + "': use none, mot17 or mot20");
        };
    List<MotSequence> sequences = MotSequences.resolve(gt, results);
    MotReport report = MotEvaluator.evaluate(sequences, mode);
    PrintWriter out = spec.commandLine().getOut();
    MotTable.lines(report).forEach(out::println);
    for (String note : report.notes()) {
      out.println("note: " + note);
    }
    out.flush();
    return 0;
  }
}
