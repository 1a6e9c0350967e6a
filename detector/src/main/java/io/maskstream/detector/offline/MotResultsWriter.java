package io.maskstream.detector.offline;

import io.maskstream.detector.Instance;
import io.maskstream.detector.Segmentation;
import io.maskstream.detector.track.ByteTracker;
import io.maskstream.detector.track.Observation;
import io.maskstream.detector.track.TrackerSettings;
import io.maskstream.detector.track.TrackerState;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Tracks an offline run's frames with the detector's tracker and writes the tracked detections in
 * MOTChallenge format ({@code frame,id,left,top,width,height,conf,-1,-1,-1}, frames from 1), the
 * input of {@code maskstream track-eval}. Frames must come in order. Owns the output file until
 * {@link #close()}; not thread-safe.
 */
public final class MotResultsWriter implements AutoCloseable {
  private final BufferedWriter out;
  private final ByteTracker tracker;
  private TrackerState state = TrackerState.EMPTY;
  private long written;

  /** Opens {@code file} for writing (replacing it), tracking with {@code settings}. */
  public MotResultsWriter(Path file, TrackerSettings settings) throws IOException {
    this.out = Files.newBufferedWriter(file, StandardCharsets.US_ASCII);
    this.tracker = new ByteTracker(settings);
  }

  /** Tracks one frame ({@code frameIndex} from 0, the video's own index) and writes its rows. */
  public void write(long frameIndex, Segmentation segmentation) throws IOException {
    List<Observation> observations = Observation.of(segmentation);
    ByteTracker.Step step = tracker.step(state, frameIndex, 0, observations);
    state = step.state();
    for (int k = 0; k < observations.size(); k++) {
      long id = step.trackIds()[k];
      if (id <= 0) {
        continue;
      }
      Instance i = segmentation.instances().get(k);
      out.write(row(frameIndex, id, i.x1(), i.y1(), i.x2(), i.y2(), i.score()));
      written++;
    }
  }

  /**
   * One MOTChallenge row, with its line end: {@code frame,id,left,top,width,height,conf,-1,-1,-1}.
   *
   * @param frameIndex the frame's index from 0 (written from 1)
   * @param id the track id, from 1
   * @param x1 left edge in pixels
   * @param y1 top edge
   * @param x2 right edge
   * @param y2 bottom edge
   * @param score the detection's score
   */
  public static String row(
      long frameIndex, long id, float x1, float y1, float x2, float y2, float score) {
    return String.format(
        Locale.ROOT,
        "%d,%d,%.2f,%.2f,%.2f,%.2f,%.4f,-1,-1,-1%n",
        frameIndex + 1,
        id,
        x1,
        y1,
        x2 - x1,
        y2 - y1,
        score);
  }

  /** Rows written so far. */
  public long written() {
    return written;
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
