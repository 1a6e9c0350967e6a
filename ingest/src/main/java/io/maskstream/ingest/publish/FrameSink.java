package io.maskstream.ingest.publish;

import io.maskstream.schemas.avro.Frame;

/** Where sources hand their encoded frames. Implementations are thread-safe. */
public interface FrameSink {
  /**
   * Hands over {@code frame}, which the sink then owns.
   *
   * @param waitForRoom {@code true} for sources that can wait (files): block until the camera's
   *     previous frame was taken; {@code false} for live sources: replace a frame still waiting,
   *     counting it as dropped, and never block
   * @throws InterruptedException when interrupted while waiting
   */
  void submit(Frame frame, boolean waitForRoom) throws InterruptedException;
}
