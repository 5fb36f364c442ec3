package org.tfprune.slice;

import java.util.LinkedHashMap;
import java.util.Map;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.KeepMask;
import org.tfprune.spec.LayerSpec;

/**
 * Slices a network's parameters down to the structures a keep-mask keeps, so that they fit
 * {@code spec.compact(mask)}: a dense layer keeps the kernel rows of its live inputs and the
 * columns, biases and gates of its live units. Parameters of other owners pass through unchanged.
 */
public final class WeightSlicer {
  private WeightSlicer() {}

  public static ParameterSet slice(ArchitectureSpec spec, ParameterSet params, KeepMask mask) {
    spec.compact(mask); // validates the mask against the spec
    Map<String, HostTensor> out = new LinkedHashMap<>(params.asMap());
    int[] liveIn = null; // null: every input of the current layer is live
    if (spec.input().gated()) {
      liveIn = mask.kept(InputSpec.GATE_GROUP);
      sliceIfPresent(params, out, ParameterSet.key(InputSpec.GATE_GROUP, ParameterSet.THETA), 0,
          liveIn);
    }
    for (LayerSpec l : spec.layers()) {
      int[] liveOut = l.gated() ? mask.kept(l.name()) : null;
      if (l instanceof DenseLayer) {
        String kernel = ParameterSet.key(l.name(), ParameterSet.KERNEL);
        HostTensor k = params.get(kernel);
        if (liveIn != null) {
          k = k.select(0, liveIn);
        }
        if (liveOut != null) {
          k = k.select(1, liveOut);
          sliceIfPresent(params, out, ParameterSet.key(l.name(), ParameterSet.BIAS), 0, liveOut);
          sliceIfPresent(params, out, ParameterSet.key(l.name(), ParameterSet.THETA), 0, liveOut);
        }
        out.put(kernel, k);
      } else {
        throw new IllegalArgumentException("no slicing rule for layer type " + l.getClass());
      }
      liveIn = liveOut;
    }
    return new ParameterSet(out);
  }

  private static void sliceIfPresent(ParameterSet params, Map<String, HostTensor> out, String name,
      int axis, int[] keep) {
    if (params.has(name)) {
      out.put(name, params.get(name).select(axis, keep));
    }
  }
}
