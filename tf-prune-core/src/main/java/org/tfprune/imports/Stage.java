package org.tfprune.imports;

import org.tensorflow.proto.NodeDef;
import org.tfprune.spec.Activation;
import org.tfprune.spec.Padding;
import org.tfprune.spec.PoolLayer;

/**
 * One recognised piece of an imported graph, named by its nodes: what the backward walk from the
 * outputs finds, before shapes are known. {@link SpecBuilder} turns stages into layer specs and
 * weights.
 */
sealed interface Stage {
  /** The node the stage is named after (its MatMul, Conv2D, pooling op, ...). */
  NodeDef node();

  /**
   * {@code x W (+ b)}, then a per-unit affine (Keras's unfused batch norm), then the
   * activation; {@code inputNorm} is such an affine on {@code x}, after the previous layer's
   * activation. {@code bias} and either affine are null when there is none.
   */
  record Dense(NodeDef node, String kernel, boolean transposed, String bias, Affine inputNorm,
      Affine norm, Activation activation) implements Stage {}

  /**
   * {@code x * scale + shift} (or {@code - shift} when {@code subtract}) with per-unit constants:
   * batch norm in the unfused inference form Keras writes after a dense layer. {@code node} is
   * the {@code Mul}; {@code shift} is null when there is none.
   */
  record Affine(NodeDef node, String scale, String shift, boolean subtract) {}

  /**
   * Batch norm (and an activation) on a tensor no conv of its own produces, the residual
   * stream after the last block of a pre-activation ResNet: becomes a 1x1 depthwise conv with
   * unit weights and that batch norm.
   */
  record StreamNorm(NodeDef node, BatchNorm batchNorm, Activation activation)
      implements Stage {}

  /**
   * A convolution with square kernels, then a bias, batch norm (either may be null), then the
   * activation, then batch norm after the activation ({@code batchNormAfter}, or null; with it,
   * {@code batchNorm} is null). {@code depthwise}: a {@code DepthwiseConv2dNative}.
   */
  record Conv(NodeDef node, String kernel, int stride, Padding padding, String bias,
      BatchNorm batchNorm, Activation activation, BatchNorm batchNormAfter, boolean depthwise)
      implements Stage {}

  /**
   * Batch normalization in inference mode; {@code biasAfter} is a bias added after it (folded
   * into beta), or null.
   */
  record BatchNorm(NodeDef node, String gamma, String beta, String mean, String variance,
      float epsilon, String biasAfter) {}

  record Pool(NodeDef node, PoolLayer.Kind kind, int size, int stride, Padding padding)
      implements Stage {}

  /** Zero padding of height and width. */
  record Pad(NodeDef node, int top, int bottom, int left, int right) implements Stage {}

  /** A reshape to {@code [batch, features]}. */
  record Flatten(NodeDef node) implements Stage {}

  /** A mean over height and width. */
  record GlobalAvgPool(NodeDef node) implements Stage {}

  /**
   * {@code activation(shortcut(x) + conv2(conv1(x)))}; {@code shortcut} is null for the identity.
   * A pre-activation block first computes {@code h = preActivation(preNorm(x))}: {@code conv1}
   * and a projection shortcut read {@code h}, an identity shortcut {@code x}.
   *
   * @param node the addition
   * @param preNorm the batch norm on the block's input, or null (then {@code preActivation} is
   *     null too)
   * @param depthwise the depthwise conv between {@code conv1} and {@code conv2} (MobileNetV2's
   *     inverted residual block), or null
   * @param middle the regular conv between {@code conv1} and {@code conv2} (ResNet's bottleneck
   *     block), or null
   * @param shortcutStride the stride of a {@code MaxPool} of size 1 on the identity shortcut
   *     (Keras's ResNetV2), 1 for none
   * @param middlePad the zeros a {@code Pad} adds on every side before the middle conv, or 0
   */
  record Block(NodeDef node, Conv conv1, Conv conv2, Conv shortcut, Activation activation,
      BatchNorm preNorm, Activation preActivation, Conv depthwise, Conv middle,
      int shortcutStride, int middlePad) implements Stage {
    /** A block without a middle conv and with an unsampled shortcut. */
    Block(NodeDef node, Conv conv1, Conv conv2, Conv shortcut, Activation activation,
        BatchNorm preNorm, Activation preActivation, Conv depthwise) {
      this(node, conv1, conv2, shortcut, activation, preNorm, preActivation, depthwise, null, 1,
          0);
    }
  }

  /**
   * A fixed region: the ops between {@code input} and {@code output} the importer does not map,
   * kept unchanged; {@code node} is its last op, {@code nodes} every op of it, and {@code kept}
   * says why each op named there was not mapped.
   */
  record Fixed(NodeDef node, TensorRef output, TensorRef input,
      com.google.common.collect.ImmutableSet<String> nodes,
      com.google.common.collect.ImmutableMap<String, String> kept) implements Stage {}

  /** A stage and the tensor it reads. */
  record Matched(Stage stage, TensorRef input) {}
}
