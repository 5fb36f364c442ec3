package org.tfprune.train;

import com.google.common.collect.ImmutableMap;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tfprune.loss.StructureWeights;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.slice.WeightSlicer;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.GateGroup;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.KeepMask;

/**
 * What a rebuild takes from each kept structure: the weights that read structures frozen and
 * removed with it, summarised per structure into the {@link CarriedNorms} the next graph carries.
 */
final class RemovedWeights {
  /** The optimizer of the pruning phase, whose state the removed weights' decay continues. */
  static final String PRUNE_OPTIMIZER = "prune_step_optimizer";

  private RemovedWeights() {}

  /**
   * The carried map of the graph rebuilt from {@code spec} to {@code next} keeping {@code live}:
   * the carried state so far, re-indexed to the kept structures, plus what this rebuild removes.
   * Keys that name no gate group pass unchanged.
   */
  static ImmutableMap<String, float[]> carriedAfter(ArchitectureSpec initialSpec,
      ArchitectureSpec spec, ArchitectureSpec next, ParameterSet parameters, ParameterSet sliced,
      Map<String, ImmutableMap<String, HostTensor>> optimizers, KeepMask live,
      Map<String, float[]> carried) {
    Map<String, float[]> reindexed = new LinkedHashMap<>();
    carried.forEach((key, values) -> {
      int cut = key.indexOf('#');
      String group = cut < 0 ? key : key.substring(0, cut);
      if (cut == 0) {
        reindexed.put(key, values); // not a group's (a controller's state)
      } else if (next.gateGroups().stream().anyMatch(g -> g.name().equals(group))) {
        int[] kept = live.kept(group);
        float[] r = new float[kept.length];
        for (int i = 0; i < kept.length; i++) {
          r[i] = values[kept[i]];
        }
        reindexed.put(key, r);
      }
    });
    CarriedNorms model = CarriedNorms.of(reindexed);
    Map<String, float[]> normBefore = StructureWeights.squaredNorms(spec, parameters);
    Map<String, float[]> normAfter = StructureWeights.squaredNorms(next, sliced);
    ParameterSet ones = filled(parameters, null);
    Map<String, float[]> countBefore = StructureWeights.squaredNorms(spec, ones);
    Map<String, float[]> countAfter = StructureWeights.squaredNorms(next,
        WeightSlicer.slice(spec, ones, live));
    Map<String, float[]> vBefore = null;
    Map<String, float[]> vAfter = null;
    ParameterSet rootV = secondMomentRoots(parameters, optimizers.get(PRUNE_OPTIMIZER));
    if (rootV != null) {
      vBefore = StructureWeights.squaredNorms(spec, rootV);
      vAfter = StructureWeights.squaredNorms(next, WeightSlicer.slice(spec, rootV, live));
    }
    for (GateGroup g : next.gateGroups()) {
      int[] kept = live.kept(g.name());
      double extra = coOwnerCoefficient(initialSpec, spec, g.name());
      for (int i = 0; i < kept.length; i++) {
        int j = kept[i];
        double count = countBefore.get(g.name())[j] - countAfter.get(g.name())[i];
        double norm = Math.max(0, normBefore.get(g.name())[j] - normAfter.get(g.name())[i]);
        double v = vBefore == null || count <= 0 ? 0
            : Math.max(0, vBefore.get(g.name())[j] - vAfter.get(g.name())[i]) / count;
        model.add(g.name(), kept.length, i, norm, Math.round(count), v, extra);
      }
    }
    ImmutableMap.Builder<String, float[]> out = ImmutableMap.builder();
    out.putAll(model.stored());
    reindexed.forEach((key, values) -> {
      if (key.startsWith("#")) {
        out.put(key, values);
      }
    });
    return out.build();
  }

  /**
   * The prior coefficient {@code c_x} of a frozen co-owner of the weights group {@code group}
   * loses: an input feature owns its row of the first dense kernel, so a first-layer unit's
   * weights that read a frozen input are pulled by the input's spike {@code 1 / (2 sigma0^2)}.
   */
  private static double coOwnerCoefficient(ArchitectureSpec initialSpec, ArchitectureSpec spec,
      String group) {
    if (spec.input().gated() && spec.layers().get(0) instanceof DenseLayer
        && spec.layers().get(0).name().equals(group)) {
      return 0.5 / StructureWeights.scales(initialSpec, InputSpec.GATE_GROUP).sigma0Squared();
    }
    return 0;
  }

  /** {@code parameters}' shapes filled with ones, or with {@code values}' entries. */
  private static ParameterSet filled(ParameterSet parameters, Map<String, float[]> values) {
    Map<String, HostTensor> m = new LinkedHashMap<>();
    parameters.asMap().forEach((k, t) -> {
      float[] f = values != null && values.containsKey(k) ? values.get(k)
          : new float[t.values().length];
      if (values == null) {
        Arrays.fill(f, 1f);
      }
      m.put(k, new HostTensor(t.shape(), f));
    });
    return new ParameterSet(m);
  }

  /** {@code sqrt(v)} of Adam's second moment per weight, or null without Adam's state. */
  private static ParameterSet secondMomentRoots(ParameterSet parameters,
      Map<String, HostTensor> slots) {
    if (slots == null) {
      return null;
    }
    Map<String, float[]> roots = new LinkedHashMap<>();
    for (String k : parameters.names()) {
      HostTensor v = slots.get(k + "/adam_v");
      if (v == null) {
        continue;
      }
      float[] r = v.values(); // a copy: taken once, the roots replace its entries
      for (int i = 0; i < r.length; i++) {
        r[i] = (float) Math.sqrt(Math.max(0f, r[i]));
      }
      roots.put(k, r);
    }
    return roots.isEmpty() ? null : filled(parameters, roots);
  }
}
