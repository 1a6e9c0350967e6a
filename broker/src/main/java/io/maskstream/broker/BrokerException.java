package io.maskstream.broker;

/**
 * Thrown when the embedded Kafka broker cannot be started or stopped, with a one-line message that
 * names the cause (port in use, data dir not writable, data dir used by another broker, ...).
 *
 * <p>Unchecked, so that {@link EmbeddedKafka} fits in try-with-resources and JUnit callbacks.
 */
public class BrokerException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates an exception with a one-line message. */
  public BrokerException(String message) {
    super(message);
  }

  /** Creates an exception with a one-line message and the underlying cause. */
  public BrokerException(String message, Throwable cause) {
    super(message, cause);
  }
}
