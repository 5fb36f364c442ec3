package org.tfprune.imports;

import static org.tfprune.imports.Nodes.describe;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.ndarray.Shape;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.Activation;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.Conv2DLayer;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.FeatureMap;
import org.tfprune.spec.FixedLayer;
import org.tfprune.spec.FlattenLayer;
import org.tfprune.spec.GlobalAvgPoolLayer;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.LayerSpec;
import org.tfprune.spec.PadLayer;
import org.tfprune.spec.PoolLayer;
import org.tfprune.spec.PreActivation;
import org.tfprune.spec.ResidualBlock;

/**
 * The forward pass of the importer: turns the matched stages, from the input on, into layer specs
 * with the trained weights, then inserts gates where the method allows and removal stays exact.
 */
final class SpecBuilder {
  private final SourceModel source;
  private final GraphIndex graph;
  private boolean trained; // whether a layer with trained weights came before
  private final LayerNames names = new LayerNames();
  private final List<String> notes = new ArrayList<>();
  private final Map<String, HostTensor> params = new LinkedHashMap<>();

  SpecBuilder(SourceModel source, GraphIndex graph) {
    this.source = source;
    this.graph = graph;
  }

  /** The weights read so far, by parameter key. */
  ImmutableMap<String, HostTensor> params() {
    return ImmutableMap.copyOf(params);
  }

  /** What the import changed on the way (folded biases), for the user. */
  List<String> notes() {
    return notes;
  }

  /** The layer of a stage, with its weights put into {@link #params}; null for a no-op. */
  LayerSpec layer(Stage s, FeatureMap in) {
    if (s instanceof Stage.Fixed f) {
      FixedLayer l = FixedFragments.layer(source, graph, f, in, names.of(f.node().getName()),
          trained, params);
      List<String> why = new ArrayList<>();
      f.kept().forEach((node, reason) -> why.add(node + ": " + reason));
      notes.add("kept fixed (not pruned) as layer " + l.name() + " " + l.opTypes() + ", the "
          + "layer before it at full width; " + String.join("; ", why));
      return l;
    }
    trained |= !(s instanceof Stage.Pool || s instanceof Stage.Pad || s instanceof Stage.Flatten
        || s instanceof Stage.GlobalAvgPool);
    if (s instanceof Stage.Dense d) {
      return dense(d, in);
    }
    if (s instanceof Stage.Conv c) {
      return convLayer(c, in.channels(), names.of(c.node().getName()));
    }
    if (s instanceof Stage.Pool p) {
      return new PoolLayer(names.of(p.node().getName()), p.kind(), p.size(), p.stride(),
          p.padding());
    }
    if (s instanceof Stage.Pad p) {
      return new PadLayer(names.of(p.node().getName()), p.top(), p.bottom(), p.left(),
          p.right());
    }
    if (s instanceof Stage.Flatten f) {
      Shape out = source.staticShape(new TensorRef(f.node().getName(), 0));
      if (in.isFlat() && out.numDimensions() == 4 && out.size(1) == 1 && out.size(2) == 1
          && out.size(3) == in.channels()) {
        return null; // features to a 1x1 map, read by a 1x1 conv mapped as a dense layer
      }
      if (out.numDimensions() != 2 || (out.size(1) != -1 && out.size(1) != in.size())) {
        throw new ImportException(describe(f.node()) + " reshapes a " + in + " tensor to "
            + out + "; tf-prune maps reshapes that flatten [batch, height, width, channels] to "
            + "[batch, height * width * channels]");
      }
      return in.isFlat() ? null : new FlattenLayer(names.of(f.node().getName()));
    }
    if (s instanceof Stage.StreamNorm n) {
      return streamNorm(n, in);
    }
    if (s instanceof Stage.GlobalAvgPool g) {
      if (in.isFlat()) {
        throw new ImportException(describe(g.node()) + " averages a flat tensor; tf-prune maps "
            + "a Mean as global average pooling of a feature map only");
      }
      return new GlobalAvgPoolLayer(names.of(g.node().getName()));
    }
    Stage.Block b = (Stage.Block) s;
    String name = names.of(b.node().getName());
    PreActivation pre = b.preNorm() == null ? null : preActivation(b, in.channels(),
        names.of(b.node().getName() + "_preact"));
    Conv2DLayer c1 = convLayer(b.conv1(), in.channels(), names.of(b.conv1().node().getName()));
    Conv2DLayer dw = b.depthwise() == null ? null : convLayer(b.depthwise(), c1.filters(),
        names.of(b.depthwise().node().getName()));
    Conv2DLayer mid = b.middle() == null ? null : convLayer(b.middle(), c1.filters(),
        names.of(b.middle().node().getName()));
    Conv2DLayer c2 = convLayer(b.conv2(), mid == null ? c1.filters() : mid.filters(),
        names.of(b.conv2().node().getName()));
    Conv2DLayer sc = b.shortcut() == null ? null : convLayer(b.shortcut(), in.channels(),
        names.of(b.shortcut().node().getName()));
    try {
      return new ResidualBlock(name, c1, c2, sc, false, b.activation(), pre, dw, mid,
          b.shortcutStride(), b.middlePad());
    } catch (IllegalArgumentException e) {
      throw new ImportException("the residual block at " + describe(b.node()) + " does not fit "
          + "tf-prune's basic block: " + e.getMessage());
    }
  }

  /** The pre-activation of a block reading {@code channels} channels, its weights read. */
  private PreActivation preActivation(Stage.Block b, int channels, String name) {
    Stage.BatchNorm bn = b.preNorm();
    params.put(ParameterSet.key(name, ParameterSet.GAMMA), vector(bn.gamma(), channels, b));
    params.put(ParameterSet.key(name, ParameterSet.BETA), vector(bn.beta(), channels, b));
    params.put(ParameterSet.key(name, ParameterSet.MOVING_MEAN), vector(bn.mean(), channels, b));
    params.put(ParameterSet.key(name, ParameterSet.MOVING_VARIANCE), vector(bn.variance(),
        channels, b));
    return new PreActivation(name, b.preActivation(), bn.epsilon());
  }

  private DenseLayer dense(Stage.Dense d, FeatureMap in) {
    if (!in.isFlat()) {
      throw new ImportException(describe(d.node()) + " gets a " + in + " feature map; "
          + "flatten it first");
    }
    HostTensor k = source.value(d.kernel());
    if (k.rank() == 4 && k.dim(0) == 1 && k.dim(1) == 1) { // a 1x1 conv on a 1x1 map
      k = new HostTensor(new long[] {k.dim(2), k.dim(3)}, k.values());
    }
    if (k.rank() != 2) {
      throw new ImportException("the weight " + d.kernel() + " of " + describe(d.node())
          + " has rank " + k.rank() + ", not 2");
    }
    if (d.transposed()) {
      k = transpose(k);
    }
    if (k.dim(0) != in.channels()) {
      throw new ImportException(describe(d.node()) + " has a " + k.dim(0) + "x" + k.dim(1)
          + " weight but gets " + in.channels() + " features");
    }
    String name = names.of(d.node().getName());
    HostTensor bias = vector(d.bias(), k.dim(1), d);
    if (d.inputNorm() != null) {
      HostTensor[] folded = foldInputNorm(d, k, bias);
      k = folded[0];
      bias = folded[1];
    }
    if (d.norm() != null) {
      HostTensor[] folded = foldNorm(d, k, bias);
      k = folded[0];
      bias = folded[1];
    }
    params.put(ParameterSet.key(name, ParameterSet.KERNEL), k);
    params.put(ParameterSet.key(name, ParameterSet.BIAS), bias);
    return new DenseLayer(name, k.dim(1), d.activation(), false);
  }

  /** Batch norm after the previous layer's activation, folded into this layer's input side. */
  private HostTensor[] foldInputNorm(Stage.Dense d, HostTensor k, HostTensor bias) {
    Stage.Affine a = d.inputNorm();
    notes.add("per-unit scale " + a.scale() + (a.shift() == null ? "" : " and offset "
        + a.shift()) + " before " + d.node().getName() + " (batch norm after the previous "
        + "layer's activation) folded into its weights and bias");
    return DenseFolding.input(k, bias, vector(a.scale(), k.dim(0), d).values(),
        shift(a, k.dim(0), d));
  }

  /** Batch norm before the activation, folded into the layer's weights and bias. */
  private HostTensor[] foldNorm(Stage.Dense d, HostTensor k, HostTensor bias) {
    Stage.Affine a = d.norm();
    notes.add("per-unit scale " + a.scale() + (a.shift() == null ? "" : " and offset "
        + a.shift()) + " after " + d.node().getName() + " (batch norm) folded into its weights "
        + "and bias");
    return DenseFolding.output(k, bias, vector(a.scale(), k.dim(1), d).values(),
        shift(a, k.dim(1), d));
  }

  /** An affine's per-unit shift as added ({@code -shift} for a {@code Sub}); zeros for none. */
  private float[] shift(Stage.Affine a, int n, Stage s) {
    float[] t = vector(a.shift(), n, s).values().clone();
    if (a.subtract()) {
      for (int i = 0; i < n; i++) {
        t[i] = -t[i];
      }
    }
    return t;
  }

  /**
   * Batch norm on the residual stream as a 1x1 depthwise conv with unit weights: exactly the
   * batch norm, then its activation; the channels follow their producer's gates.
   */
  private Conv2DLayer streamNorm(Stage.StreamNorm n, FeatureMap in) {
    if (in.isFlat()) {
      throw new ImportException(describe(n.node()) + " normalizes a flat tensor; tf-prune maps "
          + "batch norm on a feature map");
    }
    int c = in.channels();
    String name = names.of(n.node().getName());
    float[] ones = new float[c];
    java.util.Arrays.fill(ones, 1f);
    params.put(ParameterSet.key(name, ParameterSet.KERNEL), new HostTensor(new long[] {1, 1, c,
        1}, ones));
    Stage.BatchNorm bn = n.batchNorm();
    params.put(ParameterSet.key(name, ParameterSet.GAMMA), vector(bn.gamma(), c, n));
    params.put(ParameterSet.key(name, ParameterSet.BETA), vector(bn.beta(), c, n));
    params.put(ParameterSet.key(name, ParameterSet.MOVING_MEAN), vector(bn.mean(), c, n));
    params.put(ParameterSet.key(name, ParameterSet.MOVING_VARIANCE), vector(bn.variance(), c,
        n));
    notes.add(n.node().getName() + " on the residual stream becomes layer " + name + ": a 1x1 "
        + "depthwise conv with unit weights, then that batch norm" + (n.activation()
        == Activation.IDENTITY ? "" : " and " + n.activation()));
    return new Conv2DLayer(name, c, 1, 1, org.tfprune.spec.Padding.SAME, true,
        n.activation(), false, bn.epsilon(), false, true);
  }

  private Conv2DLayer convLayer(Stage.Conv c, int inChannels, String name) {
    HostTensor k = source.value(c.kernel());
    if (k.rank() != 4 || k.dim(0) != k.dim(1)) {
      throw new ImportException(describe(c.node()) + " has a filter of shape " + Arrays.toString(
          k.shape()) + "; tf-prune maps square kernels [k, k, in, out]");
    }
    if (k.dim(2) != inChannels) {
      throw new ImportException(describe(c.node()) + " has filters for " + k.dim(2)
          + " input channels but gets " + inChannels);
    }
    if (c.depthwise() && k.dim(3) != 1) {
      throw new ImportException(describe(c.node()) + " has the channel multiplier " + k.dim(3)
          + "; tf-prune maps depthwise convolutions with channel multiplier 1");
    }
    int filters = c.depthwise() ? inChannels : k.dim(3);
    params.put(ParameterSet.key(name, ParameterSet.KERNEL), k);
    Stage.BatchNorm bn = c.batchNorm() != null ? c.batchNorm() : c.batchNormAfter();
    if (bn == null || c.batchNormAfter() != null) {
      params.put(ParameterSet.key(name, ParameterSet.BIAS), vector(c.bias(), filters, c));
    }
    if (bn != null) {
      batchNorm(c, bn, filters, name);
    }
    return new Conv2DLayer(name, filters, k.dim(0), c.stride(), c.padding(),
        c.batchNorm() != null, c.activation(), false, bn != null ? bn.epsilon()
        : Conv2DLayer.DEFAULT_BATCH_NORM_EPSILON, c.batchNormAfter() != null, c.depthwise());
  }

  /** Batch norm's four vectors, with a bias before it (not after an activation) folded in. */
  private void batchNorm(Stage.Conv c, Stage.BatchNorm bn, int filters, String name) {
    float[] mean = vector(bn.mean(), filters, c).values();
    float[] beta = vector(bn.beta(), filters, c).values();
    HostTensor variance = vector(bn.variance(), filters, c);
    if (c.bias() != null && c.batchNormAfter() == null) { // (x + b - mean) = (x - (mean - b))
      float[] bias = vector(c.bias(), filters, c).values();
      for (int i = 0; i < filters; i++) {
        mean[i] -= bias[i];
      }
      notes.add("bias " + c.bias() + " before " + bn.node().getName() + " folded into the "
          + "moving mean");
    }
    if (bn.biasAfter() != null) {
      float[] bias = vector(bn.biasAfter(), filters, c).values();
      for (int i = 0; i < filters; i++) {
        beta[i] += bias[i];
      }
      notes.add("bias " + bn.biasAfter() + " after " + bn.node().getName() + " folded into "
          + "beta");
    }
    params.put(ParameterSet.key(name, ParameterSet.GAMMA), vector(bn.gamma(), filters, c));
    params.put(ParameterSet.key(name, ParameterSet.BETA), new HostTensor(new long[] {filters},
        beta));
    params.put(ParameterSet.key(name, ParameterSet.MOVING_MEAN),
        new HostTensor(new long[] {filters}, mean));
    params.put(ParameterSet.key(name, ParameterSet.MOVING_VARIANCE), variance);
  }

  /** A per-unit vector of {@code n} values (zeros when {@code node} is null). */
  private HostTensor vector(String node, int n, Stage s) {
    if (node == null) {
      return new HostTensor(new long[] {n}, new float[n]);
    }
    HostTensor v = source.value(node);
    long[] shape = v.shape();
    boolean fits = v.size() == n && shape.length >= 1 && shape[shape.length - 1] == n;
    if (!fits) {
      throw new ImportException("weight " + node + " of " + describe(s.node()) + " has shape "
          + Arrays.toString(shape) + " where " + n + " values, one per unit, were expected");
    }
    return new HostTensor(new long[] {n}, v.values());
  }

  private static HostTensor transpose(HostTensor k) {
    int r = k.dim(0);
    int c = k.dim(1);
    float[] v = k.values();
    float[] t = new float[v.length];
    for (int i = 0; i < r; i++) {
      for (int j = 0; j < c; j++) {
        t[j * r + i] = v[i * c + j];
      }
    }
    return new HostTensor(new long[] {c, r}, t);
  }

  /**
   * The spec with gates where the method allows: the features of a flat input, every layer's
   * units or filters except the logits, and every residual block whose closed gate leaves its
   * shortcut exactly (a projection reading the block's input; an identity with no activation
   * after the addition, or ReLU on a stream that is never negative). A conv layer whose output an identity shortcut carries
   * stays ungated (the residual stream is not pruned), as does one that feeds a pre-activation
   * block (its batch norm does not map a removed channel's 0 to 0). A depthwise conv has no gates of its own:
   * its input channels' gates gate it.
   */
  ArchitectureSpec gated(InputSpec input, List<LayerSpec> layers) {
    List<LayerSpec> out = new ArrayList<>();
    input = FixedLayer.feeds(layers, -1) ? input.withGated(false) : input;
    for (int i = 0; i < layers.size(); i++) {
      LayerSpec l = layers.get(i);
      boolean last = i == layers.size() - 1;
      if (!last && l instanceof ResidualBlock b) {
        l = GatePlacement.blockGateExact(layers, i) ? b.withGated(true) : b.withFilterGates(true);
      } else if (!last && !FixedLayer.feeds(layers, i) && (l instanceof DenseLayer
          || (l instanceof Conv2DLayer c && !c.depthwise() && !GatePlacement.feedsUnprunableInput(layers, i)))) {
        l = l.withGated(true);
      }
      out.add(l);
    }
    try {
      return new ArchitectureSpec(source.name(), input, ImmutableList.copyOf(out));
    } catch (IllegalArgumentException e) {
      throw new ImportException("the network read from " + source.path() + " does not fit "
          + "tf-prune: " + e.getMessage() + ". tf-prune needs a network that ends in a dense "
          + "layer without activation (the logits), optionally followed by Softmax");
    }
  }
}
