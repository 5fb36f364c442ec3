package org.tfprune.imports;

import static org.tfprune.imports.Nodes.describe;

import java.util.List;
import org.tensorflow.proto.NodeDef;
import org.tfprune.spec.Activation;

/**
 * The backward match of a residual block at its addition: {@code act(shortcut(x) +
 * conv2(conv1(x)))}, {@code conv1} with any activation, {@code conv2} without, the shortcut the
 * identity or a conv (+ batch norm) without activation, and {@code act} any activation or none;
 * a depthwise conv (an inverted residual) or a regular conv (a bottleneck: 1x1 -> 3x3 -> 1x1)
 * may sit between {@code conv1} and {@code conv2}, and an identity shortcut may be subsampled by
 * a max pool of size 1 (Keras's ResNetV2).
 */
final class BlockMatcher {
  private final GraphIndex graph;
  private final LayerMatcher layers;

  BlockMatcher(GraphIndex graph, LayerMatcher layers) {
    this.graph = graph;
    this.layers = layers;
  }

  /** The block whose addition is {@code add}, followed by {@code activation}. */
  Stage.Matched block(NodeDef add, Activation activation) {
    List<TensorRef> in = GraphIndex.dataInputs(add);
    String inverted = null; // why a branch with a depthwise conv was not mapped
    for (int k = 0; k < 2; k++) {
      TensorRef branch = graph.resolve(in.get(k));
      TensorRef shortcut = graph.resolve(in.get(1 - k));
      Stage.Matched c2 = layers.layer(branch, false);
      Stage.Conv conv2 = linearConv(c2);
      if (conv2 == null) {
        continue;
      }
      Stage.Matched c1 = layers.layer(c2.input(), false);
      if (c1 == null || !(c1.stage() instanceof Stage.Conv conv1)) {
        continue;
      }
      if (conv1.depthwise()) { // an inverted residual: expand -> depthwise -> project
        Stage.Matched c0 = layers.layer(c1.input(), false);
        if (shortcut.equals(c1.input()) || c0 == null
            || !(c0.stage() instanceof Stage.Conv expand) || expand.depthwise()) {
          inverted = describe(conv1.node()) + " is the first conv of the branch; tf-prune "
              + "maps inverted residual blocks with a 1x1 expansion conv before the depthwise "
              + "conv (leave the addition out of a block without expansion)";
          continue;
        }
        TensorRef x = c0.input();
        if (shortcut.equals(x)) {
          return new Stage.Matched(new Stage.Block(add, expand, conv2, null, activation, null,
              null, conv1), x);
        }
        Stage.Matched sc = layers.layer(shortcut, false);
        Stage.Conv projection = linearConv(sc);
        if (projection != null && sc.input().equals(x)) {
          return new Stage.Matched(new Stage.Block(add, expand, conv2, projection, activation,
              null, null, conv1), x);
        }
        inverted = "the shortcut of the branch through " + describe(conv1.node()) + " is "
            + "neither the block's input " + x + " nor a conv (+ batch norm) reading it";
        continue;
      }
      Stage.Matched basic = regular(add, conv1, null, 0, conv2, c1.input(), shortcut,
          activation);
      if (basic != null) {
        return basic;
      }
      // a bottleneck: conv1 -> [pad] -> middle (the conv before conv2) -> conv2
      int pad = symmetricPad(c1.input());
      Stage.Matched c0 = layers.layer(pad == 0 ? c1.input()
          : layers.first(graph.node(c1.input())), false);
      if (c0 != null && c0.stage() instanceof Stage.Conv first && !first.depthwise()) {
        Stage.Matched bottleneck = regular(add, first, conv1, pad, conv2, c0.input(), shortcut,
            activation);
        if (bottleneck != null) {
          return bottleneck;
        }
      }
    }
    if (inverted != null) {
      throw ImportException.unmapped(describe(add) + " ends an inverted residual block tf-prune "
          + "cannot map: " + inverted + ". It maps add(x, bn(conv1x1(act(bn(depthwise(act(bn("
          + "conv1x1(x))))))))) with the identity or a conv (+ batch norm) as the shortcut");
    }
    throw ImportException.unmapped(describe(add) + " joins two paths that do not form a residual "
        + "block tf-prune knows: it maps act(shortcut(x) + bn(conv(act1(bn(conv(x')))))), x' "
        + "the block's input x or a pre-activation act0(bn(x)) (a "
        + "bias may replace each batch norm; act1 any of Relu, Relu6, Sigmoid, Tanh, LeakyRelu, "
        + "batch norm after it, or nothing; act the same or nothing; a bottleneck has a third "
        + "conv + batch norm + act1 between the two) with the identity (or a max pool of size "
        + "1 subsampling it) or a conv (+ batch norm) as the shortcut");
  }

  /**
   * The block {@code act(shortcut + conv2(middle(conv1(x'))))} ({@code middle} may be null),
   * {@code x'} the block's input {@code x} or its pre-activation, the shortcut the identity (or a
   * subsampling {@code MaxPool} of size 1), or a projection; null when it is none of these.
   */
  private Stage.Matched regular(NodeDef add, Stage.Conv conv1, Stage.Conv middle, int pad,
      Stage.Conv conv2, TensorRef x, TensorRef shortcut, Activation activation) {
    int stride = subsampled(shortcut, x);
    if (shortcut.equals(x) || stride > 1) {
      return new Stage.Matched(new Stage.Block(add, conv1, conv2, null, activation, null,
          null, null, middle, stride, pad), x);
    }
    Stage.Matched sc = layers.layer(shortcut, false);
    Stage.Conv projection = linearConv(sc);
    // a pre-activation block: conv1 (and a projection) read act0(bn(x)), the identity x; a
    // batch norm that ends a conv layer makes it that layer's output instead
    NodeDef act = graph.node(x);
    Activation pre = Nodes.activation(act);
    NodeDef norm = pre == null ? null : graph.node(layers.first(act));
    boolean normed = norm != null && Nodes.isBatchNorm(norm);
    if (projection != null && sc.input().equals(x)
        && !(normed && layers.layer(x, false) == null)) {
      return new Stage.Matched(new Stage.Block(add, conv1, conv2, projection, activation, null,
          null, null, middle, 1, pad), x);
    }
    if (normed) {
      TensorRef in0 = layers.first(norm);
      int preStride = subsampled(shortcut, in0);
      boolean identity = shortcut.equals(in0) || preStride > 1;
      if (identity || (projection != null && sc.input().equals(x))) {
        return new Stage.Matched(new Stage.Block(add, conv1, conv2, identity ? null
            : projection, activation, layers.batchNorm(norm, null), pre, null, middle,
            identity ? preStride : 1, pad), in0);
      }
    }
    return null;
  }

  /**
   * The stride of {@code shortcut} when it is a max pool of size 1 reading {@code x} (Keras's
   * {@code MaxPooling2D(1, strides)}: a subsampling), else 1.
   */
  private int subsampled(TensorRef shortcut, TensorRef x) {
    NodeDef n = graph.node(shortcut);
    if (!n.getOp().equals("MaxPool") && !n.getOp().equals("MaxPoolV2")
        || !layers.first(n).equals(x)) {
      return 1;
    }
    Stage.Pool p = layers.pool(n);
    return p.size() == 1 ? p.stride() : 1;
  }

  /**
   * The zeros on every side when {@code t} is a {@code Pad} (or {@code PadV2}) adding as many on
   * each side of height and width (Keras's {@code ZeroPadding2D} before a bottleneck's 3x3
   * conv), else 0.
   */
  private int symmetricPad(TensorRef t) {
    NodeDef n = graph.node(t);
    if (!n.getOp().equals("Pad") && !n.getOp().equals("PadV2")) {
      return 0;
    }
    try {
      Stage.Pad p = layers.pad(n);
      return p.top() == p.bottom() && p.top() == p.left() && p.top() == p.right() ? p.top() : 0;
    } catch (ImportException e) {
      return 0; // not a zero padding of height and width: no bottleneck here
    }
  }

  /** The conv of a match if it has no activation and no batch norm after one, else null. */
  private static Stage.Conv linearConv(Stage.Matched m) {
    if (m != null && m.stage() instanceof Stage.Conv c && c.activation() == Activation.IDENTITY
        && c.batchNormAfter() == null) {
      return c;
    }
    return null;
  }
}
