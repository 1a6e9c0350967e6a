package io.maskstream.trainer.eval.mot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Finds the sequences to evaluate from a ground-truth path and a results path, in the layouts
 * MOTChallenge and {@code maskstream shapes --video} use. Stateless.
 *
 * <ul>
 *   <li>{@code --gt FILE}, or a folder holding {@code gt.txt} (as {@code shapes --video} writes),
 *       or a MOTChallenge sequence folder holding {@code gt/gt.txt}: one sequence; {@code
 *       --results} is its file (or a folder holding {@code NAME.txt}).
 *   <li>A folder of MOTChallenge sequences, {@code SEQ/gt/gt.txt} each: {@code --results} is a
 *       folder with {@code SEQ.txt} for each sequence (TrackEval's tracker layout).
 * </ul>
 *
 * A sequence folder's {@code seqinfo.ini} gives its length ({@code seqLength}); boxes past it are
 * refused, as TrackEval refuses them.
 */
public final class MotSequences {
  private MotSequences() {}

  /**
   * The sequences, read.
   *
   * @throws MotFormatException if the layout is none of the above, a file is missing or malformed
   */
  public static List<MotSequence> resolve(Path gt, Path results) {
    if (Files.isRegularFile(gt)) {
      return List.of(single(name(gt), gt, null, results));
    }
    if (!Files.isDirectory(gt)) {
      throw new MotFormatException(gt + " does not exist: --gt is a gt.txt file or a folder");
    }
    if (Files.isRegularFile(gt.resolve("gt.txt"))) {
      return List.of(single(dirName(gt), gt.resolve("gt.txt"), gt, results));
    }
    if (Files.isRegularFile(gt.resolve("gt").resolve("gt.txt"))) {
      return List.of(single(dirName(gt), gt.resolve("gt").resolve("gt.txt"), gt, results));
    }
    List<Path> folders = new ArrayList<>();
    try (Stream<Path> entries = Files.list(gt)) {
      entries
          .filter(p -> Files.isRegularFile(p.resolve("gt").resolve("gt.txt")))
          .sorted()
          .forEach(folders::add);
    } catch (IOException e) {
      throw new MotFormatException("cannot list " + gt + ": " + e.getMessage(), e);
    }
    if (folders.isEmpty()) {
      throw new MotFormatException(
          gt
              + " holds no ground truth: expected gt.txt, gt/gt.txt or sequence folders"
              + " SEQ/gt/gt.txt (MOTChallenge layout)");
    }
    if (!Files.isDirectory(results)) {
      throw new MotFormatException(
          "--gt "
              + gt
              + " has "
              + folders.size()
              + " sequences: --results must be a folder with SEQ.txt for each (e.g. "
              + dirName(folders.get(0))
              + ".txt)");
    }
    List<MotSequence> out = new ArrayList<>();
    for (Path folder : folders) {
      String name = dirName(folder);
      Path file = results.resolve(name + ".txt");
      if (!Files.isRegularFile(file)) {
        throw new MotFormatException(
            "no results for sequence " + name + ": expected " + file + " (an empty file if none)");
      }
      out.add(
          new MotSequence(
              name,
              MotFile.read(folder.resolve("gt").resolve("gt.txt")),
              MotFile.read(file),
              seqLength(folder)));
    }
    return out;
  }

  private static MotSequence single(String name, Path gtFile, Path folder, Path results) {
    Path file = Files.isDirectory(results) ? results.resolve(name + ".txt") : results;
    if (!Files.isRegularFile(file)) {
      throw new MotFormatException(
          "results file "
              + file
              + " does not exist"
              + (Files.isDirectory(results)
                  ? " (for a folder, --results DIR holds NAME.txt)"
                  : ""));
    }
    return new MotSequence(
        name, MotFile.read(gtFile), MotFile.read(file), folder == null ? 0 : seqLength(folder));
  }

  /** {@code seqLength} of {@code folder/seqinfo.ini}, 0 without one. */
  static int seqLength(Path folder) {
    Path ini = folder.resolve("seqinfo.ini");
    if (!Files.isRegularFile(ini)) {
      return 0;
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(ini, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new MotFormatException("cannot read " + ini + ": " + e.getMessage(), e);
    }
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      int eq = line.indexOf('=');
      if (eq > 0 && line.substring(0, eq).strip().equalsIgnoreCase("seqLength")) {
        String value = line.substring(eq + 1).strip();
        try {
          int n = Integer.parseInt(value);
          if (n >= 1) {
            return n;
          }
        } catch (NumberFormatException e) {
          // reported below
        }
        throw new MotFormatException(
            ini + ":" + (i + 1) + ": seqLength must be a whole number from 1, got '" + value + "'");
      }
    }
    return 0;
  }

  private static String name(Path gtFile) {
    String file = gtFile.getFileName().toString();
    Path parent = gtFile.toAbsolutePath().normalize().getParent();
    if (file.equals("gt.txt") && parent != null) {
      if (parent.getFileName() != null
          && parent.getFileName().toString().equals("gt")
          && parent.getParent() != null
          && parent.getParent().getFileName() != null) {
        return parent.getParent().getFileName().toString();
      }
      return parent.getFileName() == null ? file : parent.getFileName().toString();
    }
    return file.endsWith(".txt") ? file.substring(0, file.length() - 4) : file;
  }

  private static String dirName(Path dir) {
    Path name = dir.toAbsolutePath().normalize().getFileName();
    return name == null ? dir.toString() : name.toString();
  }
}
