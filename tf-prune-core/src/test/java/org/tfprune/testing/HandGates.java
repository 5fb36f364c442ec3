package org.tfprune.testing;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiPredicate;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.GateGroup;
import org.tfprune.spec.KeepMask;

/**
 * Gates set by hand for export tests: which structures of each gate group stay, and the
 * parameters with those choices written as theta 1 (kept) or 0 (closed), so the gated network in
 * deterministic mode is the network the exporter must reproduce.
 *
 * @param flags per gate group, whether each structure stays
 * @param parameters the given parameters with every group's theta replaced
 */
public record HandGates(Map<String, boolean[]> flags, ParameterSet parameters) {
  /** The choices as a keep mask. */
  public KeepMask keep() {
    return KeepMask.of(flags);
  }

  /** Keeps the structures {@code rule} keeps (group, index within the group). */
  public static HandGates of(ArchitectureSpec spec, ParameterSet parameters,
      BiPredicate<GateGroup, Integer> rule) {
    Map<String, boolean[]> flags = new LinkedHashMap<>();
    ParameterSet params = parameters;
    for (GateGroup g : spec.gateGroups()) {
      boolean[] k = new boolean[g.size()];
      float[] theta = new float[g.size()];
      for (int i = 0; i < k.length; i++) {
        k[i] = rule.test(g, i);
        theta[i] = k[i] ? 1f : 0f;
      }
      flags.put(g.name(), k);
      params = params.with(ParameterSet.key(g.name(), ParameterSet.THETA),
          new HostTensor(new long[] {k.length}, theta));
    }
    return new HandGates(flags, params);
  }

  /** Closes every third structure (index 0, 3, 6, ...) of every gate group. */
  public static HandGates everyThirdClosed(ArchitectureSpec spec, ParameterSet parameters) {
    return of(spec, parameters, (g, i) -> i % 3 != 0);
  }
}
