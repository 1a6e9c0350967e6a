package io.maskstream.ingest.metrics;

/** Where a camera's source is in its life; exported as the number {@link #code()}. */
public enum CameraState {
  /** Opening the source (first time or after a failure). */
  CONNECTING(0),
  /** Frames are coming. */
  STREAMING(1),
  /** The source failed or went silent; waiting before the next attempt. */
  DOWN(2),
  /** A file or folder that does not loop reached its end. */
  FINISHED(3),
  /** Stopped by shutdown. */
  STOPPED(4),
  /** Not started: the camera's settings are unusable (e.g. an invalid id). */
  INVALID(5);

  private final int code;

  CameraState(int code) {
    this.code = code;
  }

  /** The value of the {@code maskstream_ingest_camera_state} gauge. */
  public int code() {
    return code;
  }
}
