package io.maskstream.trainer.engine.nn;

import io.maskstream.trainer.engine.Module;
import java.util.ArrayList;
import java.util.List;

/**
 * Modules registered under their index ({@code 0.weight}, {@code 1.weight}, ...) like {@code
 * torch.nn.ModuleList}, used by position rather than in a chain. Owns its modules.
 */
public final class ModuleList<M extends Module> extends Module {
  private final List<M> modules = new ArrayList<>();

  /** Appends {@code module} under the next index; returns this. */
  public ModuleList<M> add(M module) {
    registerModule(Integer.toString(modules.size()), module);
    modules.add(module);
    return this;
  }

  /** The module at {@code index}. */
  public M get(int index) {
    return modules.get(index);
  }

  /** The number of modules. */
  public int size() {
    return modules.size();
  }
}
