package io.maskstream.schemas.registry;

import org.apache.kafka.common.errors.SerializationException;

/**
 * A schema registry refused a request or could not be reached; the message names the registry, the
 * request and the registry's own error.
 */
public class SchemaRegistryException extends SerializationException {
  private final int errorCode;

  /** An error with the registry's error code (or the HTTP status, or -1 when unreachable). */
  public SchemaRegistryException(String message, int errorCode, Throwable cause) {
    super(message, cause);
    this.errorCode = errorCode;
  }

  /** The registry's {@code error_code} (e.g. 40401), the HTTP status, or -1 if unreachable. */
  public int errorCode() {
    return errorCode;
  }
}
