package io.maskstream.trainer.engine;

/**
 * A {@link Module} that is also a {@link Layer}: one input, one output. Ownership as for {@link
 * Module}.
 */
public abstract class LayerModule extends Module implements Layer {}
