package org.tfprune.build;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.Conv2DLayer;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.FeatureMap;
import org.tfprune.spec.FixedLayer;
import org.tfprune.spec.GateGroup;
import org.tfprune.spec.LayerSpec;
import org.tfprune.spec.PassThroughLayer;
import org.tfprune.spec.ResidualBlock;

/**
 * The one graph builder. It creates a network's input placeholder and variables from an
 * {@link ArchitectureSpec}; the returned {@link NetworkGraph} builds forward passes. The gated
 * training graph ({@code gates = true}) and the compact export graph ({@code gates = false}, on
 * the compact spec) come from the same code, so no layer is written twice.
 */
public final class NetworkBuilder {
  /** Name of the input placeholder and of the serving signature's input. */
  public static final String INPUT = "input";

  private NetworkBuilder() {}

  /**
   * Creates the network's placeholder and variables in {@code tf}'s graph.
   *
   * @param gates whether to create theta and mask variables for the spec's gate groups
   * @param seed seed of the gate sampling ops
   */
  public static NetworkGraph build(Ops tf, ArchitectureSpec spec, boolean gates, long seed) {
    return build(tf, spec, gates, seed, false);
  }

  /**
   * As {@link #build(Ops, ArchitectureSpec, boolean, long)}; with {@code preselected}, a spec that
   * reads a subset of its input features takes only those ({@code [batch, input().width()]}, in
   * {@code input().readFeatures()} order) instead of the full input: a trainer selects them on
   * the host and the graph skips the gather (exported models always take the full input).
   */
  public static NetworkGraph build(Ops tf, ArchitectureSpec spec, boolean gates, long seed,
      boolean preselected) {
    boolean pre = preselected && spec.input().selects();
    Placeholder<TFloat32> input = tf.withName(INPUT).placeholder(TFloat32.class,
        Placeholder.shape(inputShape(spec, pre)));
    return build(tf, spec, gates, seed, input, pre);
  }

  /** The input placeholder's shape: {@code [-1, spec.input().shape()...]}. */
  public static Shape inputShape(ArchitectureSpec spec) {
    return inputShape(spec, false);
  }

  private static Shape inputShape(ArchitectureSpec spec, boolean preselected) {
    if (preselected) {
      return Shape.of(-1, spec.input().width());
    }
    long[] inShape = new long[spec.input().shape().size() + 1];
    inShape[0] = -1;
    for (int i = 0; i < spec.input().shape().size(); i++) {
      inShape[i + 1] = spec.input().shape().get(i);
    }
    return Shape.of(inShape);
  }

  /**
   * Like {@link #build(Ops, ArchitectureSpec, boolean, long)} with an input placeholder the
   * caller created (e.g. under a name a serving interface prescribes); its shape must be
   * {@link #inputShape}. Variables are created in {@code tf}'s scope.
   */
  public static NetworkGraph build(Ops tf, ArchitectureSpec spec, boolean gates, long seed,
      Placeholder<TFloat32> input) {
    return build(tf, spec, gates, seed, input, false);
  }

  private static NetworkGraph build(Ops tf, ArchitectureSpec spec, boolean gates, long seed,
      Placeholder<TFloat32> input, boolean preselected) {
    checkArgument(Arrays.equals(input.shape().asArray(),
        inputShape(spec, preselected).asArray()),
        "input placeholder %s has shape %s but spec %s needs %s", input.op().name(),
        input.shape(), spec.name(), inputShape(spec, preselected));
    Map<String, Variable<TFloat32>> vars = new LinkedHashMap<>();
    Map<String, Placeholder<TFloat32>> feeds = new LinkedHashMap<>();
    Map<String, Op> assigns = new LinkedHashMap<>();
    // One sub-scope per owner: TF-Java renames a repeated withSubScope(name) to name_1.
    Map<String, Ops> scopes = new LinkedHashMap<>();
    List<FeatureMap> shapes = spec.shapes();
    for (int i = 0; i < spec.layers().size(); i++) {
      LayerSpec l = spec.layers().get(i);
      int in = shapes.get(i).channels();
      if (l instanceof DenseLayer d) {
        add(scopes, tf, l.name(), ParameterSet.KERNEL, Shape.of(in, d.units()), vars, feeds,
            assigns);
        add(scopes, tf, l.name(), ParameterSet.BIAS, Shape.of(d.units()), vars, feeds, assigns);
      } else if (l instanceof Conv2DLayer c) {
        addConv(scopes, tf, c, in, vars, feeds, assigns);
      } else if (l instanceof ResidualBlock r) {
        if (r.preActivation() != null) {
          for (String kind : List.of(ParameterSet.GAMMA, ParameterSet.BETA,
              ParameterSet.MOVING_MEAN, ParameterSet.MOVING_VARIANCE)) {
            add(scopes, tf, r.preActivation().name(), kind, Shape.of(in), vars, feeds, assigns);
          }
        }
        addConv(scopes, tf, r.conv1(), in, vars, feeds, assigns);
        if (r.depthwise() != null) {
          addConv(scopes, tf, r.depthwise(), r.innerWidth(), vars, feeds, assigns);
        }
        if (r.middle() != null) {
          addConv(scopes, tf, r.middle(), r.innerWidth(), vars, feeds, assigns);
        }
        addConv(scopes, tf, r.conv2(), r.conv2InputWidth(), vars, feeds, assigns);
        if (r.shortcut() != null) {
          addConv(scopes, tf, r.shortcut(), in, vars, feeds, assigns);
        }
      } else if (l instanceof FixedLayer f) {
        for (org.tensorflow.proto.NodeDef w : f.weights()) { // frozen: not a trainable kind
          add(scopes, tf, l.name(), w.getName(), Shape.of(FixedLayer.shape(w)), vars, feeds,
              assigns);
        }
      } else if (!(l instanceof PassThroughLayer)) {
        throw new IllegalArgumentException("no variables rule for layer type " + l.getClass());
      }
    }
    if (gates) {
      for (GateGroup g : spec.gateGroups()) {
        add(scopes, tf, g.name(), ParameterSet.THETA, Shape.of(g.size()), vars, feeds, assigns);
        add(scopes, tf, g.name(), NetworkGraph.MASK, Shape.of(g.size()), vars, feeds, assigns);
      }
    }
    return new NetworkGraph(tf, spec, gates, input, vars, feeds, assigns, seed, preselected);
  }

  private static void addConv(Map<String, Ops> scopes, Ops tf, Conv2DLayer c, int inChannels,
      Map<String, Variable<TFloat32>> vars, Map<String, Placeholder<TFloat32>> feeds,
      Map<String, Op> assigns) {
    int k = c.kernelSize();
    add(scopes, tf, c.name(), ParameterSet.KERNEL, c.depthwise() ? Shape.of(k, k, c.filters(), 1)
        : Shape.of(k, k, inChannels, c.filters()), vars, feeds, assigns);
    List<String> perChannel = new java.util.ArrayList<>();
    if (c.hasBias()) {
      perChannel.add(ParameterSet.BIAS);
    }
    if (c.hasBatchNorm()) {
      perChannel.addAll(List.of(ParameterSet.GAMMA, ParameterSet.BETA, ParameterSet.MOVING_MEAN,
          ParameterSet.MOVING_VARIANCE));
    }
    for (String kind : perChannel) {
      add(scopes, tf, c.name(), kind, Shape.of(c.filters()), vars, feeds, assigns);
    }
  }

  private static void add(Map<String, Ops> scopes, Ops tf, String owner, String kind, Shape shape,
      Map<String, Variable<TFloat32>> vars, Map<String, Placeholder<TFloat32>> feeds,
      Map<String, Op> assigns) {
    Ops s = scopes.computeIfAbsent(owner, tf::withSubScope);
    Variable<TFloat32> v = s.withName(kind).variable(shape, TFloat32.class);
    Placeholder<TFloat32> p = s.withName(kind + "_value").placeholder(TFloat32.class,
        Placeholder.shape(shape));
    String key = ParameterSet.key(owner, kind);
    vars.put(key, v);
    feeds.put(key, p);
    assigns.put(key, s.withName(kind + "_assign").assign(v, p));
  }
}
