package io.maskstream.sinks.capture;

/**
 * The bounds of one capture run: at most {@code maxFrames} frames and {@code maxBytes} bytes of
 * image files written by this run (what the dataset had before does not count). Not thread-safe.
 */
public final class CaptureBudget {
  private final int maxFrames;
  private final long maxBytes;
  private int frames;
  private long bytes;
  private String exhausted;

  /** A budget of {@code maxFrames} frames and {@code maxBytes} image bytes. */
  public CaptureBudget(int maxFrames, long maxBytes) {
    if (maxFrames < 1 || maxBytes < 1) {
      throw new IllegalArgumentException("the bounds must be positive");
    }
    this.maxFrames = maxFrames;
    this.maxBytes = maxBytes;
  }

  /**
   * Whether an image of {@code imageBytes} may still be written; when not, the budget is exhausted
   * ({@code --max-size}), since a capture keeps frames in the order they come.
   */
  public boolean admits(long imageBytes) {
    if (exhausted != null) {
      return false;
    }
    if (bytes + imageBytes > maxBytes) {
      exhausted = "--max-size reached";
      return false;
    }
    return true;
  }

  /** Counts a written frame of {@code imageBytes}; the last one allowed exhausts the budget. */
  public void spend(long imageBytes) {
    frames++;
    bytes += imageBytes;
    if (frames >= maxFrames) {
      exhausted = "--max-frames " + maxFrames + " reached";
    }
  }

  /** Why no more frames may be written, or null while they may. */
  public String exhausted() {
    return exhausted;
  }

  /** Frames written. */
  public int frames() {
    return frames;
  }

  /** Image bytes written. */
  public long bytes() {
    return bytes;
  }
}
