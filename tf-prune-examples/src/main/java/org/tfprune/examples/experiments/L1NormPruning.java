package org.tfprune.examples.experiments;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.IntStream;
import org.tfprune.loss.StructureWeights;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.GateGroup;
import org.tfprune.spec.KeepMask;

/**
 * Magnitude pruning in the style of Li et al. (2016, "Pruning Filters for Efficient ConvNets"):
 * within each layer, rank units, filters or input features by the L1 norm of the weights they own
 * and keep the largest. Which weights a structure owns comes from {@link StructureWeights} (a
 * unit: its incoming kernel column and bias; a filter: its kernel slice and bias; an input
 * feature: its row of the first kernel), the same table the prior uses.
 */
public final class L1NormPruning {
  private L1NormPruning() {}

  /** The L1 norm of every structure's weights, per gate group of {@code spec}. */
  public static Map<String, double[]> norms(ArchitectureSpec spec, ParameterSet params) {
    Map<String, double[]> norms = new LinkedHashMap<>();
    for (GateGroup g : spec.gateGroups()) {
      norms.put(g.name(), new double[g.size()]);
    }
    for (StructureWeights.Owned o : StructureWeights.ownership(spec)) {
      checkArgument(o.axis() >= 0, "gate group '%s' gates a whole block; L1-norm ranking "
          + "applies to units, filters and input features only", o.group());
      HostTensor t = params.get(o.variable());
      double[] n = norms.get(o.group());
      checkArgument(t.dim(o.axis()) == n.length, "variable %s has %s entries along axis %s but "
          + "group '%s' has %s structures", o.variable(), t.dim(o.axis()), o.axis(), o.group(),
          n.length);
      int inner = 1;
      for (int d = o.axis() + 1; d < t.rank(); d++) {
        inner *= t.dim(d);
      }
      int size = t.dim(o.axis());
      for (int i = 0; i < t.size(); i++) {
        n[i / inner % size] += Math.abs(t.get(i));
      }
    }
    return norms;
  }

  /**
   * Keeps, in each gate group, the {@code widths.get(group)} structures of largest L1 norm (ties
   * go to the lower index).
   */
  public static KeepMask keep(ArchitectureSpec spec, ParameterSet params,
      Map<String, Integer> widths) {
    Map<String, boolean[]> keep = new LinkedHashMap<>();
    norms(spec, params).forEach((group, n) -> {
      Integer w = widths.get(group);
      checkArgument(w != null, "no target width for gate group '%s'; widths given: %s", group,
          widths);
      checkArgument(w >= 1 && w <= n.length, "group '%s' has %s structures; cannot keep %s",
          group, n.length, w);
      boolean[] k = new boolean[n.length];
      IntStream.range(0, n.length).boxed()
          .sorted(Comparator.comparingDouble((Integer i) -> -n[i]).thenComparing(i -> i))
          .limit(w).forEach(i -> k[i] = true);
      keep.put(group, k);
    });
    return KeepMask.of(keep);
  }
}
