package io.maskstream.ingest.publish;

import io.maskstream.schemas.avro.Frame;
import java.time.Duration;
import java.util.function.Consumer;

/** Sends single frames to the frames topic asynchronously. */
public interface RecordSender extends AutoCloseable {
  /**
   * Starts sending {@code frame}; {@code done} is called exactly once, with {@code null} when the
   * frame was acknowledged or with the failure. May block while the destination is unknown.
   */
  void send(Frame frame, Consumer<Exception> done);

  /** Waits until every frame handed to {@link #send} is acknowledged or failed. */
  void flush();

  /** Releases the connection, waiting at most {@code timeout} for frames still in flight. */
  void close(Duration timeout);

  @Override
  default void close() {
    close(Duration.ofSeconds(10));
  }
}
