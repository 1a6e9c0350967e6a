package io.maskstream.trainer.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * A part of a network with named parameters, buffers and sub-modules, in the manner of {@code
 * torch.nn.Module}: names join with dots ({@code layer1.0.conv1.weight}), so that a state dict
 * written here has the keys of the equivalent PyTorch module and PyTorch weights load by name.
 *
 * <p>A module owns the tensors registered with it and its sub-modules, and releases them on {@link
 * #close()}; tensors returned by {@code forward} methods are owned by the caller. Not thread-safe:
 * one thread trains or runs a module at a time.
 */
public abstract class Module implements AutoCloseable {
  private final Map<String, Tensor> parameters = new LinkedHashMap<>();
  private final Map<String, Tensor> buffers = new LinkedHashMap<>();
  private final Map<String, Module> children = new LinkedHashMap<>();
  private boolean training = true;

  /** Registers a trainable tensor (gradients on); the module takes ownership. */
  protected final Tensor registerParameter(String name, Tensor value) {
    checkName(name);
    value.set_requires_grad(true);
    parameters.put(name, value);
    return value;
  }

  /** Registers a state tensor without gradient (running statistics, frozen weights). */
  protected final Tensor registerBuffer(String name, Tensor value) {
    checkName(name);
    buffers.put(name, value);
    return value;
  }

  /** Registers a sub-module under {@code name}; the module takes ownership. */
  protected final <M extends Module> M registerModule(String name, M module) {
    checkName(name);
    children.put(name, module);
    return module;
  }

  /** Every parameter by its dotted name, in registration order (sub-modules in place). */
  public final Map<String, Tensor> namedParameters() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    collect("", out, false);
    return out;
  }

  /** The parameters that are trained (gradients on), by dotted name: what an optimiser updates. */
  public final Map<String, Tensor> trainableParameters() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    namedParameters()
        .forEach(
            (k, v) -> {
              if (v.requires_grad()) {
                out.put(k, v);
              }
            });
    return out;
  }

  /**
   * Turns the gradients of every parameter of this module and its sub-modules on or off; frozen
   * parameters keep their values during training.
   */
  public final void requiresGrad(boolean on) {
    namedParameters().values().forEach(t -> t.set_requires_grad(on));
  }

  /** Every parameter and buffer by its dotted name: the keys of PyTorch's {@code state_dict}. */
  public final Map<String, Tensor> stateDict() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    collect("", out, true);
    return out;
  }

  private void collect(String prefix, Map<String, Tensor> out, boolean withBuffers) {
    parameters.forEach((k, v) -> out.put(prefix + k, v));
    if (withBuffers) {
      buffers.forEach((k, v) -> out.put(prefix + k, v));
    }
    children.forEach((k, m) -> m.collect(prefix + k + ".", out, withBuffers));
  }

  /**
   * Copies values into this module's parameters and buffers by name.
   *
   * @param strict require every key of this module and no other key
   * @throws IllegalArgumentException naming the keys that are missing, unexpected or of another
   *     shape
   */
  @SuppressWarnings("try") // the guard turns gradients off while it is open
  public final void loadStateDict(Map<String, Tensor> values, boolean strict) {
    Map<String, Tensor> own = stateDict();
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, Tensor> e : own.entrySet()) {
      Tensor source = values.get(e.getKey());
      if (source == null) {
        if (strict) {
          problems.add("missing " + e.getKey());
        }
      } else if (!Arrays.equals(source.shape(), e.getValue().shape())) {
        problems.add(
            e.getKey()
                + " has shape "
                + Arrays.toString(source.shape())
                + ", expected "
                + Arrays.toString(e.getValue().shape()));
      }
    }
    if (strict) {
      values.keySet().stream()
          .filter(k -> !own.containsKey(k))
          .forEach(k -> problems.add("unexpected " + k));
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("state dict does not fit: " + String.join(", ", problems));
    }
    try (NoGradGuard noGrad = new NoGradGuard()) {
      for (Map.Entry<String, Tensor> e : own.entrySet()) {
        Tensor source = values.get(e.getKey());
        if (source != null) {
          // in-place: returns this very tensor, which must stay open
          e.getValue().copy_(source);
        }
      }
    }
  }

  /** Switches this module and its sub-modules to training ({@code true}) or evaluation mode. */
  public final void train(boolean on) {
    training = on;
    children.values().forEach(m -> m.train(on));
  }

  /** Whether the module is in training mode (the default). */
  public final boolean isTraining() {
    return training;
  }

  /** Releases every tensor of this module and its sub-modules. */
  @Override
  public void close() {
    children.values().forEach(Module::close);
    parameters.values().forEach(Tensor::close);
    buffers.values().forEach(Tensor::close);
    children.clear();
    parameters.clear();
    buffers.clear();
  }

  private void checkName(String name) {
    if (name.isEmpty() || name.contains(".")) {
      throw new IllegalArgumentException("invalid name '" + name + "': no dots, not empty");
    }
    if (parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
      throw new IllegalArgumentException("'" + name + "' is already registered");
    }
  }
}
