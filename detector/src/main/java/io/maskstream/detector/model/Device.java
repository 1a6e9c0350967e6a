package io.maskstream.detector.model;

/** Where inference runs. */
public enum Device {
  /** The CPU execution provider only. */
  CPU,
  /** The CUDA execution provider; the CPU with one log line when CUDA is not usable. */
  CUDA,
  /** CUDA when usable, otherwise the CPU (said once in the log). */
  AUTO
}
