package io.maskstream.sinks.kafka;

import org.apache.kafka.clients.consumer.Consumer;

/**
 * How another thread (a shutdown hook, a test) asks a sink's poll loop to stop: a flag the loop
 * checks between polls, and a wakeup of the consumer it may be blocked in, whose next call then
 * throws {@link org.apache.kafka.common.errors.WakeupException}.
 *
 * <p>Thread-safe. The loop attaches its consumer once it exists and detaches it before closing it;
 * a stop asked for before then is seen by the flag.
 */
public final class StopSignal {
  private volatile boolean stopping;
  private volatile Consumer<?, ?> consumer;

  /** The consumer to wake up from now on. */
  public void attach(Consumer<?, ?> polling) {
    consumer = polling;
  }

  /** No consumer to wake up any more (it is about to be closed). */
  public void detach() {
    consumer = null;
  }

  /** Whether {@link #stop()} was called. */
  public boolean stopping() {
    return stopping;
  }

  /** Sets the flag, then wakes the attached consumer up. */
  public void stop() {
    stopping = true;
    Consumer<?, ?> c = consumer;
    if (c != null) {
      c.wakeup();
    }
  }
}
