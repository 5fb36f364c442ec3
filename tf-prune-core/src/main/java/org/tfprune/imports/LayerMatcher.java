package org.tfprune.imports;

import static org.tfprune.imports.Nodes.describe;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.tensorflow.proto.NodeDef;
import org.tfprune.slice.HostTensor;
import org.tfprune.spec.Activation;
import org.tfprune.spec.PoolLayer;

/**
 * The backward match of one layer of a source graph, from the tensor it outputs: a dense or conv
 * layer with its bias, batch norm (before or after the activation) and activation, or a single-op
 * stage (pooling, padding, flatten, global average pooling).
 */
final class LayerMatcher {
  /** What a refused layer's message lists as the forms the importer maps. */
  static final String SUPPORTED_TEXT = "MatMul, Conv2D and DepthwiseConv2dNative (channel "
      + "multiplier 1) layers with or without a bias (BiasAdd, Add, AddV2), convolutions with "
      + "batch norm (FusedBatchNorm/V2/V3 in inference mode) before or after the activation, "
      + "dense layers with an unfused batch norm (Mul, then Add, AddV2 or Sub, by per-unit "
      + "constants) before their activation or after it, batch norm on the residual stream, "
      + "Relu, Relu6, Sigmoid, Tanh, LeakyRelu or no activation, MaxPool/AvgPool, Pad/PadV2 with "
      + "zeros, Reshape (flatten), Mean over height and width, residual Add/AddV2 (with or "
      + "without an activation after it) with an identity or conv+BN shortcut, MobileNetV2's "
      + "inverted residual blocks (1x1 conv, depthwise conv, linear 1x1 conv, Add), Softmax at "
      + "the end, Identity";

  private final SourceModel source;
  private final GraphIndex graph;

  LayerMatcher(SourceModel source, GraphIndex graph) {
    this.source = source;
    this.graph = graph;
  }

  /** The tensor a node's first data input reads, behind identities. */
  TensorRef first(NodeDef n) {
    return graph.resolve(GraphIndex.dataInputs(n).get(0));
  }

  /** An addition of two computed tensors (not a bias add). */
  boolean isResidualAdd(NodeDef n) {
    if (!n.getOp().equals("Add") && !n.getOp().equals("AddV2")) {
      return false;
    }
    List<TensorRef> in = GraphIndex.dataInputs(n);
    return !graph.isWeight(in.get(0)) && !graph.isWeight(in.get(1));
  }

  /**
   * A dense or conv layer ending at {@code t}: [MatMul | Conv2D] -> [bias] -> [batch norm ->
   * [bias]] -> [activation -> [batch norm]]. When not {@code strict}, a mismatch gives null
   * instead of an exception.
   */
  Stage.Matched layer(TensorRef t, boolean strict) {
    TensorRef cur = t;
    NodeDef n = graph.node(cur);
    Stage.BatchNorm after = null;
    if (Nodes.isBatchNorm(n) && Nodes.activation(graph.node(first(n))) != null) {
      after = batchNorm(n, null);
      cur = first(n);
      n = graph.node(cur);
    }
    Activation activation = Activation.IDENTITY;
    if (Nodes.activation(n) != null) {
      activation = Nodes.activation(n);
      cur = first(n);
      n = graph.node(cur);
      if (isResidualAdd(n)) {
        if (!strict) {
          return null;
        }
        throw ImportException.unmapped(describe(after != null ? after.node() : graph.node(t))
            + " follows the activation of the residual addition " + describe(n) + "; tf-prune "
            + "maps batch norm after the activation of a conv only, and residual blocks whose "
            + "stream is not normalized");
      }
    }
    return affine(cur, activation, after, strict);
  }

  private Stage.Matched affine(TensorRef t, Activation activation, Stage.BatchNorm after,
      boolean strict) {
    TensorRef cur = t;
    NodeDef n = graph.node(cur);
    String bias = null;
    Stage.BatchNorm bn = null;
    Scaled scaled = scaled(cur);
    Stage.Affine norm = scaled == null ? null : scaled.norm();
    if (scaled != null) {
      cur = scaled.input();
      n = graph.node(cur);
    }
    TensorRef[] b = biasAdd(n);
    if (b != null) {
      bias = b[1].node();
      cur = b[0];
      n = graph.node(cur);
    }
    if (Nodes.isBatchNorm(n)) {
      if (after != null) {
        if (!strict) {
          return null;
        }
        throw ImportException.unmapped(describe(after.node()) + " and " + describe(n) + " normalize "
            + "one layer twice, before and after its activation; tf-prune maps one of them");
      }
      bn = batchNorm(n, bias);
      bias = null;
      cur = first(n);
      n = graph.node(cur);
      if (isResidualAdd(n) && after == null && norm == null) {
        // batch norm on the residual stream (ResNet v2's last one, before pooling)
        return strict ? new Stage.Matched(new Stage.StreamNorm(bn.node(), bn, activation), cur)
            : null;
      }
      b = biasAdd(n);
      if (b != null) {
        bias = b[1].node();
        cur = b[0];
        n = graph.node(cur);
      }
    }
    if (norm != null && (bn != null || after != null || !n.getOp().equals("MatMul"))) {
      if (!strict) {
        return null;
      }
      throw ImportException.unmapped(describe(norm.node()) + " scales "
          + describe(bn != null ? bn.node() : after != null ? after.node() : n) + " by a "
          + "per-unit constant: tf-prune maps such an unfused batch norm (Mul, then Add, AddV2 "
          + "or Sub) right after a dense layer's MatMul or bias, before its activation "
          + "(Dense -> BatchNormalization -> Activation), or after that activation when a dense "
          + "layer reads it; convolutions take FusedBatchNorm");
    }
    switch (n.getOp()) {
      case "MatMul" -> {
        Stage.BatchNorm fused = bn != null ? bn : after;
        if (fused != null) {
          if (!strict) {
            return null;
          }
          throw ImportException.unmapped(describe(fused.node()) + " normalizes the output of "
              + describe(n) + "; tf-prune maps FusedBatchNorm after convolutions only (and a "
              + "dense layer's batch norm as Mul and Add by per-unit constants, before its "
              + "activation)");
        }
        // batch norm after the previous dense layer's activation folds into this layer's input
        Scaled in = scaled(first(n));
        if (in != null && Nodes.activation(graph.node(in.input())) != null) {
          return new Stage.Matched(dense(n, bias, in.norm(), norm, activation), in.input());
        }
        return new Stage.Matched(dense(n, bias, null, norm, activation), first(n));
      }
      case "Conv2D", "DepthwiseConv2dNative" -> {
        if (onePixel(n) && bn == null && after == null && norm == null) {
          // a 1x1 conv on a 1x1 map (Keras MobileNet's class scores after global average
          // pooling with keepdims) is a dense layer
          return new Stage.Matched(new Stage.Dense(n, graph.resolve(GraphIndex.dataInputs(n)
              .get(1)).node(), false, bias, null, null, activation), first(n));
        }
        return new Stage.Matched(conv(n, bias, bn, activation, after), first(n));
      }
      default -> {
        if (!strict) {
          return null;
        }
        throw ImportException.unmapped(describe(graph.node(t)) + " is not part of a layer tf-prune "
            + "knows: it reads " + describe(n) + " where a MatMul, Conv2D or "
            + "DepthwiseConv2dNative was expected. It "
            + "maps " + SUPPORTED_TEXT);
      }
    }
  }

  /**
   * Whether {@code n} is a stride-1 {@code Conv2D} with a 1x1 kernel (a weight) on a tensor whose
   * static shape is {@code [batch, 1, 1, channels]}: a dense layer in the form of a conv.
   */
  private boolean onePixel(NodeDef n) {
    List<TensorRef> in = GraphIndex.dataInputs(n);
    if (!n.getOp().equals("Conv2D") || !graph.isWeight(in.get(1))
        || !GraphIndex.string(n, "data_format", "NHWC").equals("NHWC")
        || !GraphIndex.ints(n, "strides").stream().allMatch(v -> v == 1)
        || GraphIndex.ints(n, "dilations").stream().anyMatch(v -> v != 1)) {
      return false;
    }
    HostTensor k = source.value(graph.resolve(in.get(1)).node());
    org.tensorflow.ndarray.Shape x = source.staticShape(graph.resolve(in.get(0)));
    return k.rank() == 4 && k.dim(0) == 1 && k.dim(1) == 1 && x.numDimensions() == 4
        && x.size(1) == 1 && x.size(2) == 1 && x.size(3) == k.dim(2);
  }

  /** A bias add: its activation input and its bias node, or null if it is not one. */
  private TensorRef[] biasAdd(NodeDef n) {
    List<TensorRef> in = GraphIndex.dataInputs(n);
    switch (n.getOp()) {
      case "BiasAdd" -> {
        Nodes.checkNhwc(n);
        if (!graph.isWeight(in.get(1))) {
          throw ImportException.unmapped(describe(n) + " adds a computed tensor, not a bias; "
              + "tf-prune maps biases held in a variable or constant");
        }
        return new TensorRef[] {graph.resolve(in.get(0)), graph.resolve(in.get(1))};
      }
      case "Add", "AddV2" -> {
        boolean w0 = graph.isWeight(in.get(0));
        boolean w1 = graph.isWeight(in.get(1));
        if (w0 == w1) {
          return null;
        }
        return w1 ? new TensorRef[] {graph.resolve(in.get(0)), graph.resolve(in.get(1))}
            : new TensorRef[] {graph.resolve(in.get(1)), graph.resolve(in.get(0))};
      }
      default -> {
        return null;
      }
    }
  }

  /** A per-unit scale and shift and the tensor they read. */
  private record Scaled(TensorRef input, Stage.Affine norm) {}

  /**
   * {@code x * scale [+ shift | - shift]} with weights {@code scale} and {@code shift} (Keras's
   * unfused batch norm) ending at {@code t}, or null.
   */
  private Scaled scaled(TensorRef t) {
    TensorRef cur = t;
    NodeDef n = graph.node(cur);
    String shift = null;
    boolean subtract = n.getOp().equals("Sub");
    if (subtract || n.getOp().equals("Add") || n.getOp().equals("AddV2")) {
      List<TensorRef> in = GraphIndex.dataInputs(n);
      boolean w0 = graph.isWeight(in.get(0));
      boolean w1 = graph.isWeight(in.get(1));
      if (w0 == w1 || (subtract && w0)) {
        return null;
      }
      shift = graph.resolve(in.get(w1 ? 1 : 0)).node();
      cur = graph.resolve(in.get(w1 ? 0 : 1));
      n = graph.node(cur);
    }
    if (!n.getOp().equals("Mul")) {
      return null;
    }
    List<TensorRef> in = GraphIndex.dataInputs(n);
    boolean w0 = graph.isWeight(in.get(0));
    boolean w1 = graph.isWeight(in.get(1));
    if (w0 == w1) {
      return null;
    }
    return new Scaled(graph.resolve(in.get(w1 ? 0 : 1)), new Stage.Affine(n,
        graph.resolve(in.get(w1 ? 1 : 0)).node(), shift, subtract));
  }

  private Stage.Dense dense(NodeDef n, String bias, Stage.Affine inputNorm, Stage.Affine norm,
      Activation activation) {
    List<TensorRef> in = GraphIndex.dataInputs(n);
    if (GraphIndex.bool(n, "transpose_a", false) || graph.isWeight(in.get(0))
        || !graph.isWeight(in.get(1))) {
      throw new ImportException(describe(n) + " does not multiply the activations by a weight "
          + "matrix from the right (x W); tf-prune maps dense layers of that form");
    }
    return new Stage.Dense(n, graph.resolve(in.get(1)).node(),
        GraphIndex.bool(n, "transpose_b", false), bias, inputNorm, norm, activation);
  }

  private Stage.Conv conv(NodeDef n, String bias, Stage.BatchNorm bn, Activation activation,
      Stage.BatchNorm after) {
    Nodes.checkNhwc(n);
    List<TensorRef> in = GraphIndex.dataInputs(n);
    if (!graph.isWeight(in.get(1))) {
      throw new ImportException(describe(n) + " convolves with a computed filter; tf-prune "
          + "maps convolutions whose filter is a variable or constant");
    }
    List<Long> dil = GraphIndex.ints(n, "dilations");
    if (!dil.isEmpty() && dil.stream().anyMatch(d -> d != 1)) {
      throw ImportException.unmapped(describe(n) + " is dilated " + dil + "; tf-prune maps "
          + "convolutions without dilation");
    }
    String kernel = graph.resolve(in.get(1)).node();
    HostTensor k = source.value(kernel);
    if (k.rank() != 4 || k.dim(0) != k.dim(1)) {
      throw ImportException.unmapped(describe(n) + " has a filter of shape " + Arrays.toString(
          k.shape()) + "; tf-prune maps square kernels [k, k, in, out]");
    }
    org.tensorflow.ndarray.Shape x = source.staticShape(graph.resolve(in.get(0)));
    long channels = x.numDimensions() == 4 ? x.size(3) : -1;
    if (channels > 0 && channels != k.dim(2)) {
      throw ImportException.unmapped(describe(n) + " has filters for " + k.dim(2) + " of its "
          + channels + " input channels (a grouped convolution); tf-prune maps convolutions "
          + "whose filters read every input channel");
    }
    boolean depthwise = n.getOp().equals("DepthwiseConv2dNative");
    if (depthwise && k.dim(3) != 1) {
      throw ImportException.unmapped(describe(n) + " has the channel multiplier " + k.dim(3)
          + "; tf-prune maps depthwise convolutions with channel multiplier 1");
    }
    return new Stage.Conv(n, kernel, Nodes.squareStride(n, GraphIndex.ints(n, "strides")),
        Nodes.padding(n), bias, bn, activation, after, depthwise);
  }

  Stage.BatchNorm batchNorm(NodeDef n, String biasAfter) {
    Nodes.checkNhwc(n);
    if (GraphIndex.bool(n, "is_training", true)) {
      throw new ImportException(describe(n) + " runs in training mode (is_training = true) on "
          + "the serving path: export the inference graph, whose batch norm uses the moving "
          + "statistics (is_training = false)");
    }
    List<TensorRef> in = GraphIndex.dataInputs(n);
    for (int i = 1; i <= 4; i++) {
      if (!graph.isWeight(in.get(i))) {
        throw ImportException.unmapped(describe(n) + " takes a computed tensor as input " + i
            + "; tf-prune maps batch norm whose scale, offset, mean and variance are variables "
            + "or constants");
      }
    }
    return new Stage.BatchNorm(n, graph.resolve(in.get(1)).node(),
        graph.resolve(in.get(2)).node(), graph.resolve(in.get(3)).node(),
        graph.resolve(in.get(4)).node(), GraphIndex.number(n, "epsilon", 1e-4f), biasAfter);
  }

  Stage.Pool pool(NodeDef n) {
    Nodes.checkNhwc(n);
    List<Long> ksize;
    List<Long> strides;
    if (n.getOp().equals("MaxPoolV2")) {
      List<TensorRef> in = GraphIndex.dataInputs(n);
      ksize = Arrays.stream(source.ints(in.get(1))).boxed().toList();
      strides = Arrays.stream(source.ints(in.get(2))).boxed().toList();
    } else {
      ksize = GraphIndex.ints(n, "ksize");
      strides = GraphIndex.ints(n, "strides");
    }
    int size = Nodes.squareStride(n, ksize);
    return new Stage.Pool(n, n.getOp().startsWith("Max") ? PoolLayer.Kind.MAX
        : PoolLayer.Kind.AVG, size, Nodes.squareStride(n, strides), Nodes.padding(n));
  }

  /** A {@code Pad} or {@code PadV2} with zeros over height and width only. */
  Stage.Pad pad(NodeDef n) {
    List<TensorRef> in = GraphIndex.dataInputs(n);
    long[] p = source.ints(in.get(1));
    boolean zeros = true;
    if (n.getOp().equals("PadV2")) {
      float[] c = source.value(graph.resolve(in.get(2)).node()).values();
      zeros = c.length == 1 && c[0] == 0f;
    }
    if (p.length != 8 || p[0] != 0 || p[1] != 0 || p[6] != 0 || p[7] != 0 || !zeros
        || Arrays.stream(p).anyMatch(v -> v < 0)) {
      throw ImportException.unmapped(describe(n) + " pads with paddings " + Arrays.toString(p)
          + (zeros ? "" : " and a value other than 0") + "; tf-prune maps zero padding of "
          + "height and width, [[0, 0], [top, bottom], [left, right], [0, 0]]");
    }
    return new Stage.Pad(n, (int) p[2], (int) p[3], (int) p[4], (int) p[5]);
  }

  Stage.GlobalAvgPool globalAvgPool(NodeDef n) {
    long[] axes = source.ints(GraphIndex.dataInputs(n).get(1));
    Set<Long> a = new TreeSet<>();
    for (long x : axes) {
      a.add(x);
    }
    if (!a.equals(Set.of(1L, 2L))) {
      throw ImportException.unmapped(describe(n) + " takes the mean over axes " + a
          + "; tf-prune maps a Mean only as global average pooling, over axes [1, 2] of [batch, "
          + "height, width, channels]");
    }
    return new Stage.GlobalAvgPool(n);
  }
}
