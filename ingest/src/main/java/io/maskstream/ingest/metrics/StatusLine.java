package io.maskstream.ingest.metrics;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Formats the periodic one-line status of all cameras, with send rates since the previous line. Not
 * thread-safe: called from one scheduler thread.
 */
public final class StatusLine {
  private final Map<String, Long> lastSent = new HashMap<>();
  private long lastNanos = System.nanoTime();

  /** The line for {@code cameras} now, e.g. {@code 2/3 up | gate up 15.0 fps sent 900 ...}. */
  public String format(List<CameraMetrics> cameras) {
    long now = System.nanoTime();
    double seconds = Math.max(1e-3, (now - lastNanos) / 1e9);
    lastNanos = now;
    long up = cameras.stream().filter(c -> c.state() == CameraState.STREAMING).count();
    StringBuilder line = new StringBuilder();
    line.append(up).append('/').append(cameras.size()).append(" up");
    for (CameraMetrics c : cameras) {
      long sent = c.sentCount();
      long previous = lastSent.getOrDefault(c.camera(), 0L);
      lastSent.put(c.camera(), sent);
      line.append(" | ")
          .append(c.camera())
          .append(' ')
          .append(c.state().name().toLowerCase(Locale.ROOT))
          .append(String.format(Locale.ROOT, " %.1f fps", (sent - previous) / seconds))
          .append(" grabbed ")
          .append(c.grabbedCount())
          .append(" sent ")
          .append(sent)
          .append(" dropped ")
          .append(c.droppedCount())
          .append(" reconnects ")
          .append(c.reconnectCount())
          .append(String.format(Locale.ROOT, " encode %.1f ms", c.meanEncodeMillis()));
    }
    return line.toString();
  }
}
