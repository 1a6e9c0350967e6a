package io.maskstream.sinks;

/**
 * A running consumer of the event topics. {@link #run()} blocks the calling thread until {@link
 * #stop()} is called from another thread (a shutdown hook, a test) or a fatal error occurs, and
 * releases every resource (consumer, producer, files, connections, server) before it returns.
 */
public interface Sink {
  /** Consumes until stopped; throws on a failure it cannot recover from. */
  void run() throws Exception;

  /** Asks {@link #run()} to finish its current batch, make it durable and return. Thread-safe. */
  void stop();
}
