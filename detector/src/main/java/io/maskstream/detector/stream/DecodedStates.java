package io.maskstream.detector.stream;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The last state a node wrote to a store per key, with its bytes, so the next frame of the key
 * skips decoding when the store still holds exactly those bytes (a restored, rebalanced or replayed
 * store holds others, and is decoded). The values must be what decoding the bytes gives, so a node
 * computes the same whether it decoded or not. Bounded; one per stream task, not thread-safe.
 *
 * @param <T> the decoded state
 */
public final class DecodedStates<T> {
  private static final int MAX_KEYS = 4096;

  private record Entry<T>(byte[] bytes, T value) {}

  private final Map<String, Entry<T>> last =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Entry<T>> eldest) {
          return size() > MAX_KEYS;
        }
      };

  /** The value written last for {@code key} if {@code stored} is still its bytes, else null. */
  public T get(String key, byte[] stored) {
    Entry<T> e = last.get(key);
    return e != null && stored != null && Arrays.equals(e.bytes, stored) ? e.value : null;
  }

  /** Remembers that {@code bytes}, which decode to {@code value}, were written for {@code key}. */
  public void put(String key, byte[] bytes, T value) {
    if (bytes == null) {
      last.remove(key);
    } else {
      last.put(key, new Entry<>(bytes, value));
    }
  }
}
