package org.tfprune.loss;

import com.google.common.collect.ImmutableList;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Stack;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.types.TFloat32;
import org.tfprune.build.NetworkGraph;
import org.tfprune.slice.HostTensor;
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

  /**
   * {@code |w_s|^2} for every structure, plus per group the constant {@code carried} squared norm
   * of owned weights a rebuild removed (they still count in the masked network the objective
   * refers to).
   */
  public static Map<String, Operand<TFloat32>> squaredNorms(Ops s, NetworkGraph net,
      Map<String, ? extends Operand<TFloat32>> carried) {
    Map<String, Operand<TFloat32>> norms = new LinkedHashMap<>();
    squaredNorms(s, net).forEach((g, live) -> norms.put(g, carried.containsKey(g)
        ? s.math.add(live, s.stopGradient(carried.get(g))) : live));
    return norms;
  }

  /**
   * {@code |w_s|^2} for every structure of every gate group, {@code [size]} each, over the
   * weights {@code net} holds. These norms carry no gradient (the prior's weight gradient is
   * {@link #quadraticGradients analytic}), so they are computed with one fused reduction per axis.
   */
  public static Map<String, Operand<TFloat32>> squaredNorms(Ops s, NetworkGraph net) {
    Map<String, Operand<TFloat32>> norms = new LinkedHashMap<>();
    for (Owned o : ownership(net.spec())) {
      Operand<TFloat32> v = s.identity(net.variable(o.variable()));
      Operand<TFloat32> part;
      if (o.axis() < 0) {
        part = s.reshape(s.reduceSum(s.math.square(v), s.constant(allAxes(o.rank()))),
            s.constant(new int[] {1}));
      } else if (o.rank() == 1) {
        part = s.math.square(v);
      } else {
        part = s.math.square(s.linalg.euclideanNorm(v, s.constant(otherAxes(o))));
      }
      norms.merge(o.group(), s.stopGradient(part), s.math::add);
    }
    return norms;
  }

  /**
   * {@code |w_s|^2} for every structure of every gate group of {@code spec}, computed on the host
   * from {@code params}: the host counterpart of {@link #squaredNorms(Ops, NetworkGraph)}.
   */
  public static Map<String, float[]> squaredNorms(ArchitectureSpec spec, ParameterSet params) {
    Map<String, float[]> norms = new LinkedHashMap<>();
    spec.gateGroups().forEach(g -> norms.put(g.name(), new float[g.size()]));
    for (Owned o : ownership(spec)) {
      HostTensor v = params.get(o.variable());
      float[] out = norms.get(o.group());
      float[] x = v.values();
      if (o.axis() < 0) {
        double sum = 0;
        for (float f : x) {
          sum += (double) f * f;
        }
        out[0] += (float) sum;
        continue;
      }
      int dim = v.dim(o.axis());
      int inner = 1;
      for (int d = o.axis() + 1; d < v.rank(); d++) {
        inner *= v.dim(d);
      }
      for (int k = 0; k < x.length; k++) {
        out[(k / inner) % dim] += x[k] * x[k];
      }
    }
    return norms;
  }

  private static int[] allAxes(int rank) {
    int[] a = new int[rank];
    for (int i = 0; i < rank; i++) {
      a[i] = i;
    }
    return a;
  }

  private static int[] otherAxes(Owned o) {
    int[] a = new int[o.rank() - 1];
    int j = 0;
    for (int i = 0; i < o.rank(); i++) {
      if (i != o.axis()) {
        a[j++] = i;
      }
    }
    return a;
  }

  /** {@code |w_s|^2} for every structure of one gate group. */
  public static Operand<TFloat32> squaredNorms(Ops s, NetworkGraph net, String group) {
    Operand<TFloat32> n = squaredNorms(s, net).get(group);
    if (n == null) {
      throw new IllegalArgumentException("no gate group '" + group + "' in " + net.spec().name());
    }
    return n;
  }

  /**
   * The gradient of {@code sum_s c_s |w_s|^2} with respect to each owned variable, given a
   * per-structure coefficient {@code c_s} for each group: {@code 2 w * C}, where {@code C}
   * broadcasts the coefficients of every group owning part of the variable. Adding it to the
   * autodiff gradient analytically avoids TensorFlow's broadcast-heavy generic backward pass
   * through squares and reductions.
   */
  public static Map<String, Operand<TFloat32>> quadraticGradients(Ops s, NetworkGraph net,
      Map<String, Operand<TFloat32>> coefficients) {
    return quadraticGradients(s, net, coefficients, TensorCache.NONE);
  }

  /**
   * As {@link #quadraticGradients(Ops, NetworkGraph, Map)}, with each variable's gradient
   * {@code 2 w * C} taken from {@code cache} (named {@code prior_gradient/<variable>}): a trainer
   * refreshing the cache every few steps applies a slightly stale weight decay, and saves a pass
   * over every weight tensor at the other steps.
   */
  public static Map<String, Operand<TFloat32>> quadraticGradients(Ops s, NetworkGraph net,
      Map<String, Operand<TFloat32>> coefficients, TensorCache cache) {
    Map<String, List<Owned>> perVariable = new LinkedHashMap<>();
    for (Owned o : ownership(net.spec())) {
      perVariable.computeIfAbsent(o.variable(), v -> new ArrayList<>()).add(o);
    }
    Map<String, Operand<TFloat32>> grads = new LinkedHashMap<>();
    perVariable.forEach((v, owners) -> {
      long[] dims = net.variable(v).shape().asArray();
      Operand<TFloat32> c;
      if (dims.length == 2 && owners.size() == 2 && owners.get(0).axis() == 0
          && owners.get(1).axis() == 1) {
        // a dense kernel owned by its input gates (rows) and its units (columns), the first
        // layer of a network with input gates: C = a (+) b, formed as the product [a, 1] [1, b]^T,
        // which writes the [n, m] sum in one pass (a broadcasting addition costs several); each
        // entry is exactly a_i + b_j
        Operand<TFloat32> a = twice(s, coefficients.get(owners.get(0).group()));
        Operand<TFloat32> b = twice(s, coefficients.get(owners.get(1).group()));
        Operand<TFloat32> left = s.stack(List.of(a, s.onesLike(a)), Stack.axis(1L));
        Operand<TFloat32> right = s.stack(List.of(s.onesLike(b), b), Stack.axis(1L));
        c = s.linalg.matMul(left, right, MatMul.transposeB(true));
      } else {
        c = null;
        for (Owned o : owners) {
          Operand<TFloat32> part = twice(s, coefficients.get(o.group()));
          if (o.axis() < 0) {
            part = s.reshape(part, s.constant(new int[0])); // one structure: a scalar
          } else if (o.rank() > 1) {
            int[] shape = new int[o.rank()];
            java.util.Arrays.fill(shape, 1);
            shape[o.axis()] = (int) dims[o.axis()];
            part = s.reshape(part, s.constant(shape));
          }
          c = c == null ? part : s.math.add(c, part);
        }
      }
      // the product is cached whole: refreshed with the other cached terms, it spares the step
      // a pass over every weight tensor (TensorCache.NONE: exact at every step)
      grads.put(v, cache.cached("prior_gradient/" + v,
          s.stopGradient(s.math.mul(s.identity(net.variable(v)), c))));
    });
    return grads;
  }

  private static Operand<TFloat32> twice(Ops s, Operand<TFloat32> coefficient) {
    return s.math.mul(coefficient, s.constant(2f));
  }
}
