package org.tfprune.export;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.LinkedHashMap;
import java.util.Map;
import org.tfprune.loss.StructureWeights;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.Activation;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.GateGroup;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.KeepMask;

/**
 * Rounds the kept widths of units and filters up to a multiple of {@code N} (8 suits GPU tensor
 * cores), exactly: each structure added back (the pruned ones with the largest theta) has the
 * weights it owns zeroed (its kernel column or filter, its bias or batch-norm scale and offset),
 * so it outputs exactly 0 and the compact model still computes the gated network's function.
 * Input features and block gates are not rounded, nor are the channels of a sigmoid layer (or of
 * a depthwise sigmoid conv reading them): sigmoid(0) is not 0.
 */
public final class WidthRounding {
  private WidthRounding() {}

  /** Parameters and keep-mask after rounding; hand both to {@link CompactExporter#compact}. */
  public record Rounded(ParameterSet parameters, KeepMask keep) {}

  public static Rounded roundUp(ArchitectureSpec spec, ParameterSet params, KeepMask keep,
      int multiple) {
    checkArgument(multiple >= 1 && multiple <= 1024,
        "width multiple must be in [1, 1024], got %s", multiple);
    Map<String, HostTensor> values = new LinkedHashMap<>(params.asMap());
    Map<String, boolean[]> flags = new LinkedHashMap<>();
    for (String g : keep.groups()) {
      flags.put(g, keep.flags(g));
    }
    for (GateGroup g : spec.gateGroups()) {
      if (g.kind() != GateGroup.Kind.UNIT || g.name().equals(InputSpec.GATE_GROUP)
          || sigmoidGated(spec, g.name())) {
        continue;
      }
      boolean[] k = flags.get(g.name());
      int kept = 0;
      for (boolean b : k) {
        kept += b ? 1 : 0;
      }
      if (kept == 0) {
        continue; // a dead block's filters: the block goes, nothing to round
      }
      int target = Math.min(k.length, (kept + multiple - 1) / multiple * multiple);
      float[] theta = params.get(ParameterSet.key(g.name(), ParameterSet.THETA)).values();
      for (int added = kept; added < target; added++) {
        int best = -1;
        for (int i = 0; i < k.length; i++) {
          if (!k[i] && (best < 0 || theta[i] > theta[best])) {
            best = i;
          }
        }
        k[best] = true;
        for (StructureWeights.Owned o : StructureWeights.ownership(spec)) {
          if (o.group().equals(g.name())) {
            values.put(o.variable(), values.get(o.variable()).withZeroAt(o.axis(), best));
          }
        }
      }
    }
    return new Rounded(new ParameterSet(values), KeepMask.of(flags));
  }

  /** Whether a layer gated by {@code group} applies a sigmoid, whose value at 0 is not 0. */
  private static boolean sigmoidGated(ArchitectureSpec spec, String group) {
    for (int i = 0; i < spec.layers().size(); i++) {
      org.tfprune.spec.LayerSpec l = spec.layers().get(i);
      boolean gatedByGroup = l.name().equals(group) || (l instanceof org.tfprune.spec.Conv2DLayer c
          && c.depthwise() && group.equals(spec.channelGroupOf(i)));
      Activation a = l instanceof org.tfprune.spec.Conv2DLayer c ? c.activation()
          : l instanceof org.tfprune.spec.DenseLayer d ? d.activation() : null;
      if (gatedByGroup && a == Activation.SIGMOID) {
        return true;
      }
    }
    return false;
  }
}
