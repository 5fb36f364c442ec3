package org.tfprune.complexity;

import java.util.LinkedHashMap;
import java.util.Map;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.KeepMask;

/** Exact host-side counts of a spec, or of a spec under a keep-mask, for reports. */
public final class ComplexityCounter {
  private ComplexityCounter() {}

  /** Counts of {@code spec} as it stands (every structure live). */
  public static Complexity count(ArchitectureSpec spec) {
    LayerCost<Double> t = CostModel.total(spec, group -> (double) width(spec, group),
        CostAlgebra.HOST);
    return new Complexity(Math.round(t.macs()), Math.round(t.params()));
  }

  /** Counts of {@code spec} after removing what {@code mask} does not keep. */
  public static Complexity count(ArchitectureSpec spec, KeepMask mask) {
    return count(spec.compact(mask));
  }

  /** Per-layer counts of {@code spec}, in layer order. */
  public static Map<String, Complexity> perLayer(ArchitectureSpec spec) {
    Map<String, Complexity> m = new LinkedHashMap<>();
    for (LayerCost<Double> c : CostModel.layers(spec, group -> (double) width(spec, group),
        CostAlgebra.HOST)) {
      m.put(c.layer(), new Complexity(Math.round(c.macs()), Math.round(c.params())));
    }
    return m;
  }

  private static int width(ArchitectureSpec spec, String group) {
    return spec.gateGroups().stream().filter(g -> g.name().equals(group)).findFirst()
        .orElseThrow().size();
  }
}
