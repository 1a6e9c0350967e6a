package io.maskstream.ingest.source;

/**
 * One JPEG image, owned by the caller (plain heap bytes).
 *
 * @param jpeg the encoded bytes
 * @param width image width in pixels
 * @param height image height in pixels
 * @param quality the JPEG quality it was encoded with
 * @param encodeNanos time spent scaling and encoding
 */
public record EncodedImage(byte[] jpeg, int width, int height, int quality, long encodeNanos) {}
