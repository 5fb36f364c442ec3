package org.tfprune.train;

import com.google.common.collect.ImmutableMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tfprune.loss.StructureWeights;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.slice.WeightSlicer;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.KeepMask;

/**
 * What a rebuild takes from each kept structure: the weights that read structures frozen and
 * removed with it, each with its optimizer state, into the {@link CarriedNorms} the next graph
 * carries.
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
    Map<String, int[]> kept = new LinkedHashMap<>();
    next.gateGroups().forEach(g -> kept.put(g.name(), live.kept(g.name())));
    CarriedNorms model = CarriedNorms.of(carried).keeping(kept);
    Map<String, Integer> sizes = new LinkedHashMap<>();
    spec.gateGroups().forEach(g -> sizes.put(g.name(), g.size()));
    Map<String, int[]> position = new LinkedHashMap<>();
    kept.forEach((group, k) -> {
      int[] p = new int[sizes.get(group)];
      Arrays.fill(p, -1);
      for (int i = 0; i < k.length; i++) {
        p[k[i]] = i;
      }
      position.put(group, p);
      model.declare(group, k.length);
    });
    Map<String, List<StructureWeights.Owned>> owners = new LinkedHashMap<>();
    for (StructureWeights.Owned o : StructureWeights.ownership(spec)) {
      owners.computeIfAbsent(o.variable(), v -> new ArrayList<>()).add(o);
    }
    Map<String, boolean[]> removed = removedEntries(spec, parameters, live, owners.keySet());
    Map<String, HostTensor> slots = optimizers.getOrDefault(PRUNE_OPTIMIZER, ImmutableMap.of());
    owners.forEach((variable, owned) -> {
      HostTensor w = parameters.get(variable);
      float[] values = w.values();
      float[] m = slotValues(slots, variable + "/adam_m", slots.get(variable + "/momentum"));
      float[] v = slotValues(slots, variable + "/adam_v", null);
      boolean[] gone = removed.get(variable);
      int[] structure = new int[owned.size()];
      double[] spike = new double[owned.size()];
      for (int o = 0; o < owned.size(); o++) {
        spike[o] = 0.5 / StructureWeights.scales(initialSpec, owned.get(o).group())
            .sigma0Squared();
      }
      for (int k = 0; k < values.length; k++) {
        if (!gone[k] || values[k] == 0f) {
          continue;
        }
        for (int o = 0; o < owned.size(); o++) {
          structure[o] = structureOf(w, owned.get(o), k);
        }
        for (int o = 0; o < owned.size(); o++) {
          int[] p = position.get(owned.get(o).group());
          if (p == null || p[structure[o]] < 0) {
            continue; // its own structure is removed: nothing of it is carried
          }
          double extra = 0; // the spikes of frozen co-owners pull it too
          for (int x = 0; x < owned.size(); x++) {
            int[] px = position.get(owned.get(x).group());
            if (x != o && (px == null || px[structure[x]] < 0)) {
              extra += spike[x];
            }
          }
          double sign = Math.signum(values[k]);
          model.add(owned.get(o).group(), kept.get(owned.get(o).group()).length,
              p[structure[o]], Math.abs(values[k]),
              m == null ? 0 : m[k] * sign, v == null ? 0 : v[k], extra);
        }
      }
    });
    ImmutableMap.Builder<String, float[]> out = ImmutableMap.builder();
    out.putAll(model.stored());
    carried.forEach((key, values) -> {
      if (key.startsWith("#")) {
        out.put(key, values); // not a group's (a controller's state)
      }
    });
    return out.build();
  }

  /** The structure of {@code o} that entry {@code k} of its variable belongs to. */
  private static int structureOf(HostTensor w, StructureWeights.Owned o, int k) {
    if (o.axis() < 0) {
      return 0;
    }
    int inner = 1;
    for (int d = o.axis() + 1; d < w.rank(); d++) {
      inner *= w.dim(d);
    }
    return (k / inner) % w.dim(o.axis());
  }

  /** Index digits per float: both parts stay exact in float32 for up to 2^36 entries. */
  private static final int INDEX_BASE = 1 << 12;

  /**
   * Per owned variable, which entries the rebuild removes: each entry's flat index, written as
   * two exactly representable floats, is sliced with the exporter's rules, and what is missing
   * from the slice was removed.
   */
  private static Map<String, boolean[]> removedEntries(ArchitectureSpec spec,
      ParameterSet parameters, KeepMask live, Set<String> variables) {
    Map<String, float[]> high = new LinkedHashMap<>();
    Map<String, float[]> low = new LinkedHashMap<>();
    parameters.asMap().forEach((k, t) -> {
      int n = t.values().length;
      float[] h = new float[n];
      float[] l = new float[n];
      for (int i = 0; i < n; i++) {
        h[i] = i / INDEX_BASE;
        l[i] = i % INDEX_BASE;
      }
      high.put(k, h);
      low.put(k, l);
    });
    ParameterSet keptHigh = WeightSlicer.slice(spec, filled(parameters, high), live);
    ParameterSet keptLow = WeightSlicer.slice(spec, filled(parameters, low), live);
    Map<String, boolean[]> removed = new LinkedHashMap<>();
    for (String variable : variables) {
      boolean[] gone = new boolean[parameters.get(variable).values().length];
      Arrays.fill(gone, true);
      if (!keptHigh.names().contains(variable)) {
        removed.put(variable, gone); // its layer went with a removed block
        continue;
      }
      float[] h = keptHigh.get(variable).values();
      float[] l = keptLow.get(variable).values();
      for (int i = 0; i < h.length; i++) {
        gone[(int) h[i] * INDEX_BASE + (int) l[i]] = false;
      }
      removed.put(variable, gone);
    }
    return removed;
  }

  private static float[] slotValues(Map<String, HostTensor> slots, String name,
      HostTensor otherwise) {
    HostTensor t = slots.get(name);
    if (t == null) {
      t = otherwise;
    }
    return t == null ? null : t.values();
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
}
