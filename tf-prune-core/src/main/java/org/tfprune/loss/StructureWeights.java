package org.tfprune.loss;

import com.google.common.collect.ImmutableList;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.Conv2DLayer;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.FeatureMap;
import org.tfprune.spec.ResidualBlock;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.LayerSpec;

/**
 * Which weights each gated structure owns, the one place that knows it: an input feature owns its
 * outgoing row of the first kernel; a dense unit owns its incoming kernel column and its bias; a
 * conv filter owns its kernel slice and its bias, or, when batch norm follows the conv ({@link
 * #normalized}), only batch norm's scale and offset; a residual block
 * owns the last conv (and its batch norm) of its branch; a coupled stream channel ({@code
 * StreamGroup}) owns its output-channel slice (kernel and bias or batch-norm scale and offset) of
 * every conv across its stage that outputs it: the head conv, each block's last conv and each
 * projection. A block's last conv is thus owned twice, whole by the block and per channel by the
 * stream, and the prior's terms for it add up. The
 * prior, its analytic weight gradient and the pruning condition all read from here.
 */
public final class StructureWeights {
  private StructureWeights() {}

  /**
   * One slice of ownership: structure {@code i} of gate group {@code group} owns index {@code i}
   * along {@code axis} of variable {@code variable}; {@code axis} -1 means the group has a single
   * structure that owns the whole variable (a residual block owns its branch's last conv).
   */
  public record Owned(String variable, String group, int axis, int rank) {}

  /** The ownership table of a spec's gate groups. */
  public static ImmutableList<Owned> ownership(ArchitectureSpec spec) {
    ImmutableList.Builder<Owned> b = ImmutableList.builder();
    if (spec.input().gated()) {
      b.add(new Owned(ParameterSet.key(spec.layers().get(0).name(), ParameterSet.KERNEL),
          InputSpec.GATE_GROUP, 0, 2));
    }
    for (int i = 0; i < spec.layers().size(); i++) {
      LayerSpec l = spec.layers().get(i);
      if (l instanceof Conv2DLayer c && c.depthwise()) {
        // a depthwise conv's channel belongs to the structure of its input channel
        String group = spec.channelGroupOf(i);
        if (group != null) {
          if (!normalized(c)) {
            b.add(new Owned(ParameterSet.key(c.name(), ParameterSet.KERNEL), group, 2, 4));
          }
          for (String kind : perChannelWeights(c)) {
            b.add(new Owned(ParameterSet.key(c.name(), kind), group, 0, 1));
          }
        }
      } else if (l instanceof DenseLayer d && d.gated()) {
        b.add(new Owned(ParameterSet.key(l.name(), ParameterSet.KERNEL), l.name(), 1, 2));
        b.add(new Owned(ParameterSet.key(l.name(), ParameterSet.BIAS), l.name(), 0, 1));
      } else if (l instanceof Conv2DLayer c && c.gated()) {
        filters(b, c);
      } else if (l instanceof Conv2DLayer c && spec.gatedStreamOf(c.name()) != null) {
        filters(b, c, spec.gatedStreamOf(c.name()));
      } else if (l instanceof ResidualBlock r) {
        if (r.conv1().gated()) {
          filters(b, r.conv1());
          if (r.depthwise() != null) { // its channel c belongs to conv1's filter c
            if (!normalized(r.depthwise())) {
              b.add(new Owned(ParameterSet.key(r.depthwise().name(), ParameterSet.KERNEL),
                  r.conv1().name(), 2, 4));
            }
            for (String kind : perChannelWeights(r.depthwise())) {
              b.add(new Owned(ParameterSet.key(r.depthwise().name(), kind), r.conv1().name(), 0,
                  1));
            }
          }
          if (r.middle() != null) { // a middle filter owns its kernel slice and channel weights
            filters(b, r.middle());
          }
        }
        if (r.gated()) {
          Conv2DLayer c2 = r.conv2();
          if (!normalized(c2)) {
            b.add(new Owned(ParameterSet.key(c2.name(), ParameterSet.KERNEL), r.name(), -1, 4));
          }
          for (String kind : perChannelWeights(c2)) {
            b.add(new Owned(ParameterSet.key(c2.name(), kind), r.name(), -1, 1));
          }
        }
        String stream = spec.gatedStreamOf(r.name());
        if (stream != null) {
          for (Conv2DLayer c : streamConvs(r)) {
            filters(b, c, stream);
          }
        }
      } else if (l.gated()) {
        throw new IllegalArgumentException("no ownership rule for layer type " + l.getClass());
      }
    }
    return b.build();
  }

  /** A filter owns its kernel slice and its bias, or its batch-norm scale and offset. */
  private static void filters(ImmutableList.Builder<Owned> b, Conv2DLayer c) {
    filters(b, c, c.name());
  }

  /** Filters of {@code c} owned by the structures of gate group {@code group}. */
  private static void filters(ImmutableList.Builder<Owned> b, Conv2DLayer c, String group) {
    if (!normalized(c)) {
      b.add(new Owned(ParameterSet.key(c.name(), ParameterSet.KERNEL), group, 3, 4));
    }
    for (String kind : perChannelWeights(c)) {
      b.add(new Owned(ParameterSet.key(c.name(), kind), group, 0, 1));
    }
  }

  /** The convs of a block that output the residual stream: its last conv and its projection. */
  private static List<Conv2DLayer> streamConvs(ResidualBlock r) {
    return r.shortcut() == null ? List.of(r.conv2()) : List.of(r.conv2(), r.shortcut());
  }

  /**
   * Whether {@code c}'s filters are normalized: batch norm right after the conv divides the
   * kernel's scale out, so the kernel is scale-free (the data loss does not change when it is
   * scaled, and its gradient is orthogonal to it) and its channel's scale lives in batch norm's
   * {@code gamma} and {@code beta}. Such a filter's prior is on those two: a prior energy on a
   * scale-free kernel measures nothing the network computes and, as the kernel's norm only grows
   * under training, it would hold every filter open until the pressure passed it and then let
   * them fall together.
   */
  public static boolean normalized(Conv2DLayer c) {
    return c.batchNorm() && !c.batchNormAfterActivation();
  }

  /**
   * The gate groups of {@code spec} whose structures own no kernel: every weight they own is a
   * normalized filter's batch-norm scale or offset.
   */
  public static Set<String> normalizedGroups(ArchitectureSpec spec) {
    Set<String> withKernel = new HashSet<>();
    for (Owned o : ownership(spec)) {
      if (o.variable().endsWith("/" + ParameterSet.KERNEL)) {
        withKernel.add(o.group());
      }
    }
    Set<String> out = new LinkedHashSet<>();
    spec.gateGroups().forEach(g -> {
      if (!withKernel.contains(g.name())) {
        out.add(g.name());
      }
    });
    return out;
  }

  private static List<String> perChannelWeights(Conv2DLayer c) {
    if (c.batchNormAfterActivation()) {
      return List.of(ParameterSet.BIAS, ParameterSet.GAMMA, ParameterSet.BETA);
    }
    return c.batchNorm() ? List.of(ParameterSet.GAMMA, ParameterSet.BETA)
        : List.of(ParameterSet.BIAS);
  }

  /** The prior scales of a gate group, from the spec's shapes. */
  public static PriorScales scales(ArchitectureSpec spec, String group) {
    List<FeatureMap> shapes = spec.shapes();
    if (spec.streams().stream().anyMatch(g -> g.gated() && g.name().equals(group))) {
      return streamScales(spec, group);
    }
    if (group.equals(InputSpec.GATE_GROUP) && spec.input().gated()) {
      // an input feature owns its outgoing row of the first kernel
      return PriorScales.forLayer(spec.input().width(), spec.layers().get(0).width());
    }
    for (int i = 0; i < spec.layers().size(); i++) {
      LayerSpec l = spec.layers().get(i);
      int in = shapes.get(i).channels();
      if (l.name().equals(group) && l instanceof DenseLayer) {
        return PriorScales.forLayer(in, in + 1); // incoming column and bias
      }
      if (l.name().equals(group) && l instanceof Conv2DLayer c) {
        return filterScales(c, in);
      }
      if (l instanceof ResidualBlock r) {
        if (r.conv1().name().equals(group)) {
          if (normalized(r.conv1()) && r.depthwise() != null && normalized(r.depthwise())) {
            // the filter owns its own and its depthwise channel's gamma and beta
            return PriorScales.forNormalized(perChannelWeights(r.conv1()).size()
                + perChannelWeights(r.depthwise()).size());
          }
          return filterScales(r.conv1(), in);
        }
        if (r.middle() != null && r.middle().name().equals(group)) {
          return filterScales(r.middle(), r.innerWidth());
        }
        if (r.name().equals(group)) {
          Conv2DLayer c2 = r.conv2();
          int fanIn = c2.fanIn(r.conv2InputWidth());
          if (normalized(c2)) {
            return PriorScales.forNormalized(2 * c2.filters());
          }
          return PriorScales.forLayer(fanIn,
              fanIn * c2.filters() + perChannelWeights(c2).size() * c2.filters());
        }
      }
    }
    throw new IllegalArgumentException("no gate group '" + group + "' in spec " + spec.name());
  }

  /**
   * A stream channel owns one filter of every conv that outputs its stage's stream; its slab
   * width comes from their mean fan-in (sigma1^2 = gain / mean fan-in).
   */
  private static PriorScales streamScales(ArchitectureSpec spec, String group) {
    List<FeatureMap> shapes = spec.shapes();
    List<Integer> fanIns = new ArrayList<>();
    int weights = 0;
    for (int i = 0; i < spec.layers().size(); i++) {
      LayerSpec l = spec.layers().get(i);
      if (!group.equals(spec.gatedStreamOf(l.name()))) {
        continue;
      }
      int in = shapes.get(i).channels();
      Map<Conv2DLayer, Integer> inputs = new LinkedHashMap<>();
      if (l instanceof ResidualBlock r) {
        inputs.put(r.conv2(), r.conv2InputWidth());
        if (r.shortcut() != null) {
          inputs.put(r.shortcut(), in);
        }
      } else {
        inputs.put((Conv2DLayer) l, in);
      }
      for (Map.Entry<Conv2DLayer, Integer> e : inputs.entrySet()) {
        int fanIn = e.getKey().fanIn(e.getValue());
        if (normalized(e.getKey())) {
          weights += perChannelWeights(e.getKey()).size();
        } else {
          fanIns.add(fanIn);
          weights += fanIn + perChannelWeights(e.getKey()).size();
        }
      }
    }
    if (fanIns.isEmpty()) { // every conv of the stream is normalized
      return PriorScales.forNormalized(weights);
    }
    int meanFanIn = (int) Math.round(fanIns.stream().mapToInt(Integer::intValue).average()
        .orElseThrow());
    return PriorScales.forLayer(Math.max(1, meanFanIn), weights);
  }

  private static PriorScales filterScales(Conv2DLayer c, int inChannels) {
    if (normalized(c)) {
      return PriorScales.forNormalized(perChannelWeights(c).size());
    }
    return PriorScales.forLayer(c.fanIn(inChannels),
        c.fanIn(inChannels) + perChannelWeights(c).size());
  }
}
