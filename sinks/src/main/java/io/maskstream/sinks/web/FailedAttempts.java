package io.maskstream.sinks.web;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Slows down guessing: an address that sent {@value #MAX_FAILURES} wrong credentials within {@value
 * #WINDOW_MS} ms is refused, right credentials or not, until that window ends. A request with the
 * right credentials forgets the address's failures.
 *
 * <p>Remembers at most {@value #MAX_ADDRESSES} addresses (the least recently seen go first), so
 * memory stays bounded whoever knocks. Thread-safe.
 */
final class FailedAttempts {
  static final int MAX_FAILURES = 10;
  static final long WINDOW_MS = 60_000;
  static final int MAX_ADDRESSES = 10_000;

  private static final class Window {
    long start;
    int failures;
  }

  private final Map<String, Window> windows =
      new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Window> eldest) {
          return size() > MAX_ADDRESSES;
        }
      };

  /** How long {@code address} is still refused, in ms; 0 when it may try. */
  synchronized long refusedForMillis(String address, long nowMillis) {
    Window w = windows.get(address);
    if (w == null || w.failures < MAX_FAILURES) {
      return 0;
    }
    long left = w.start + WINDOW_MS - nowMillis;
    if (left <= 0) {
      windows.remove(address);
      return 0;
    }
    return left;
  }

  /**
   * Counts a wrong attempt from {@code address}.
   *
   * @return true when this attempt is the one that gets the address refused
   */
  synchronized boolean failed(String address, long nowMillis) {
    Window w = windows.get(address);
    if (w == null || nowMillis - w.start >= WINDOW_MS) {
      w = new Window();
      w.start = nowMillis;
      windows.put(address, w);
    }
    w.failures++;
    return w.failures == MAX_FAILURES;
  }

  /** Forgets the failures of {@code address}, which just gave the right credentials. */
  synchronized void succeeded(String address) {
    windows.remove(address);
  }
}
