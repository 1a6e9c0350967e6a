package io.maskstream.detector.shadow;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A single-slot hand-off from producers that must never wait (the stream threads) to one worker: an
 * item is taken only while the worker is idle - neither holding an item nor working on one - and
 * dropped (counted) otherwise. Thread-safe.
 *
 * @param <T> the items handed off
 */
public final class HandOff<T> {
  /** One permit while the worker is idle; the offer that takes it owns the slot. */
  private final Semaphore idle = new Semaphore(1);

  private final Semaphore filled = new Semaphore(0);
  private final AtomicReference<T> slot = new AtomicReference<>();
  private final AtomicLong dropped = new AtomicLong();

  /**
   * Hands {@code item} to the worker if it is idle; otherwise drops it.
   *
   * @return whether the worker took it
   */
  public boolean offer(T item) {
    if (!idle.tryAcquire()) {
      dropped.incrementAndGet();
      return false;
    }
    slot.set(item);
    filled.release();
    return true;
  }

  /**
   * The worker's next item, waiting up to {@code timeout}; null when none came. The worker is busy
   * from then until {@link #done()}.
   */
  public T take(Duration timeout) throws InterruptedException {
    if (!filled.tryAcquire(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
      return null;
    }
    return slot.getAndSet(null);
  }

  /** The worker finished the item it took and is idle again. */
  public void done() {
    idle.release();
  }

  /** Items dropped because the worker was busy. */
  public long dropped() {
    return dropped.get();
  }
}
