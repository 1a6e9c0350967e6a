package io.maskstream.detector.stream;

import io.maskstream.detector.SegmentationException;
import io.maskstream.detector.Segmenter;
import io.maskstream.detector.image.DecodedImage;
import io.maskstream.schemas.avro.Frame;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * A frame record as the frame processor receives it from {@link FrameDeserializer}: the record's
 * bytes (kept for the dead-letter topic), the parsed {@link Frame} or the reason it did not parse,
 * and the decoding of its image, which may already be running on the decode-ahead executor. Only
 * this package makes and reads them.
 */
public final class IncomingFrame {
  private final byte[] raw;
  private final Frame frame;
  private final String problem;
  private final Throwable cause;
  private final CompletableFuture<Decoded> ahead;

  private IncomingFrame(
      byte[] raw, Frame frame, String problem, Throwable cause, CompletableFuture<Decoded> ahead) {
    this.raw = raw;
    this.frame = frame;
    this.problem = problem;
    this.cause = cause;
    this.ahead = ahead;
  }

  /** A record that is not a frame. */
  static IncomingFrame unreadable(byte[] raw, String problem, Throwable cause) {
    return new IncomingFrame(raw, null, problem, cause, null);
  }

  /** A frame whose image is decoded when asked for. */
  static IncomingFrame of(byte[] raw, Frame frame) {
    return new IncomingFrame(raw, frame, null, null, null);
  }

  /** A frame whose image is being decoded ahead. */
  static IncomingFrame decodingAhead(byte[] raw, Frame frame, CompletableFuture<Decoded> ahead) {
    return new IncomingFrame(raw, frame, null, null, ahead);
  }

  /** The record's value as it came; may be null or empty. */
  byte[] raw() {
    return raw;
  }

  /** The frame, or null when the record is not one ({@link #problem()} says why). */
  Frame frame() {
    return frame;
  }

  /** Why the record is not a frame, or null. */
  String problem() {
    return problem;
  }

  /** The exception behind {@link #problem()}, or null. */
  Throwable cause() {
    return cause;
  }

  /**
   * The decoded image of {@link #frame()}: the ahead result (waiting for it if needed), else
   * decoded now.
   *
   * @throws SegmentationException when the image does not decode
   */
  Decoded image(Segmenter segmenter) throws SegmentationException {
    if (ahead == null) {
      return Decoded.run(segmenter, bytes(frame.getImage()));
    }
    try {
      return ahead.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SegmentationException(
          SegmentationException.Kind.INFERENCE, "interrupted while decoding the image", e);
    } catch (ExecutionException | CompletionException e) {
      Throwable c = e.getCause() == null ? e : e.getCause();
      if (c instanceof SegmentationException s) {
        throw s;
      }
      throw new SegmentationException(
          SegmentationException.Kind.UNDECODABLE, "image does not decode: " + c, c);
    }
  }

  /** A copy of the remaining bytes of {@code buffer}, which is left as it was. */
  static byte[] bytes(ByteBuffer buffer) {
    ByteBuffer b = buffer.duplicate();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  /** A decoded image and how long the decoding took. */
  record Decoded(DecodedImage image, float decodeMs) {
    static Decoded run(Segmenter segmenter, byte[] encoded) throws SegmentationException {
      long t0 = System.nanoTime();
      DecodedImage image = segmenter.decode(encoded);
      return new Decoded(image, (System.nanoTime() - t0) / 1e6f);
    }
  }
}
