package io.maskstream.detector;

/**
 * Where the time went for one image, in milliseconds. Immutable.
 *
 * @param decodeMs image decode
 * @param preprocessMs resize and tensor fill
 * @param inferenceMs model run
 * @param postprocessMs mask paste, threshold and RLE
 */
public record StageTimes(
    float decodeMs, float preprocessMs, float inferenceMs, float postprocessMs) {}
