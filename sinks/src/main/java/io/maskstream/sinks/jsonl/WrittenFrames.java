package io.maskstream.sinks.jsonl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.sinks.join.JoinedFrame;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The frames a sink wrote shortly before it last stopped, read back from its newest files at start,
 * so that records read again after a crash (their lines written, their offsets not yet committed)
 * are not written twice.
 *
 * <p>A frame is known by camera, sequence, model version and capture time (so a camera whose
 * sequence numbers start again after an ingest restart is not mistaken for a frame written before).
 * Only files modified within {@code window} of the newest one are read: offsets are committed every
 * second, and a record waits at most the join timeout for its partner, so a line whose record was
 * not committed is at most that old when the sink stops. Not thread-safe.
 */
final class WrittenFrames {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Set<String> keys;
  private final int files;

  private WrittenFrames(Set<String> keys, int files) {
    this.keys = keys;
    this.files = files;
  }

  /**
   * Reads the frames of the files {@code PREFIX-*.jsonl} in {@code dir} modified within {@code
   * window} of the newest such file; lines that do not parse (cut by a crash) are skipped.
   */
  static WrittenFrames read(Path dir, String prefix, Duration window) throws IOException {
    Set<String> keys = new HashSet<>();
    if (!Files.isDirectory(dir)) {
      return new WrittenFrames(keys, 0);
    }
    List<Path> ours = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      s.filter(p -> p.getFileName().toString().startsWith(prefix + "-"))
          .filter(p -> p.getFileName().toString().endsWith(".jsonl"))
          .forEach(ours::add);
    }
    long newest = 0;
    for (Path p : ours) {
      newest = Math.max(newest, modified(p));
    }
    int read = 0;
    for (Path p : ours) {
      if (modified(p) < newest - window.toMillis()) {
        continue;
      }
      read++;
      for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
        if (line.isBlank()) {
          continue;
        }
        try {
          JsonNode n = JSON.readTree(line);
          keys.add(
              key(
                  n.path("camera").asText(),
                  n.path("sequence").asLong(),
                  n.path("model").path("version").asText(),
                  n.path("capture_time").asText()));
        } catch (IOException e) {
          // a line cut by a crash: its frame is read again and written whole
        }
      }
    }
    return new WrittenFrames(keys, read);
  }

  /**
   * Whether {@code frame} was written before the start; true once per frame (a frame read again is
   * skipped once, a later frame with the same key is written).
   */
  boolean consume(JoinedFrame<?> frame) {
    if (keys.isEmpty()) {
      return false;
    }
    return keys.remove(
        key(
            frame.frame().getCamera(),
            frame.frame().getSequence(),
            frame.model().getVersion(),
            frame.frame().getCaptureTime().toString()));
  }

  /** Frames still known. */
  int size() {
    return keys.size();
  }

  /** Files read. */
  int files() {
    return files;
  }

  private static String key(String camera, long sequence, String modelVersion, String capture) {
    return camera + "\n" + sequence + "\n" + modelVersion + "\n" + capture;
  }

  private static long modified(Path p) {
    try {
      FileTime t = Files.getLastModifiedTime(p);
      return t.toMillis();
    } catch (IOException e) {
      return 0;
    }
  }
}
