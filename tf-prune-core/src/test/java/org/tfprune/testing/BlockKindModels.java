package org.tfprune.testing;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The fixtures of {@link LayerKindModels} for the blocks of real image models: MobileNetV2's
 * inverted residuals, ResNet v2's batch norm and ReLU after its last block, and dense layers with
 * batch norm in the unfused form Keras writes for them.
 */
final class BlockKindModels {
  private BlockKindModels() {}

  /**
   * stem (3x3/2 conv + BN + ReLU6), block0 (no expansion: depthwise, linear projection), block1
   * (inverted residual with its addition), block2 (stride 2, 8 -> 12 channels, no addition),
   * block3 (inverted residual), a 1x1 head conv, global average pooling, logits.
   */
  static Operand<TFloat32> invertedResidual(FixtureNet n, Operand<TFloat32> x) {
    Ops stem = n.tf.withSubScope("stem");
    Operand<TFloat32> h = stem.nn.relu6(n.bn(stem, n.conv(stem, x, 3, 1, 16, 2, "SAME"), 16,
        false));
    Ops b0 = n.tf.withSubScope("block0");
    h = project(n, b0, depthwise(n, b0, h, 16, 1), 16, 8);
    Ops b1 = n.tf.withSubScope("block1");
    h = n.addV2(b1, h, inverted(n, b1, h, 8, 24, 8, 1));
    Ops b2 = n.tf.withSubScope("block2");
    h = inverted(n, b2, h, 8, 24, 12, 2);
    Ops b3 = n.tf.withSubScope("block3");
    h = n.addV2(b3, h, inverted(n, b3, h, 12, 32, 12, 1));
    Ops head = n.tf.withSubScope("head");
    h = head.nn.relu6(n.bn(head, n.conv(head, h, 1, 12, 32, 1, "SAME"), 32, false));
    h = n.tf.withName("gap").math.mean(h, n.tf.constant(new int[] {1, 2}));
    return n.dense(n.tf.withSubScope("logits"), h, 32, 10);
  }

  /** expand (1x1 conv + BN + ReLU6) -> depthwise -> linear projection. */
  private static Operand<TFloat32> inverted(FixtureNet n, Ops block, Operand<TFloat32> x, int in,
      int expanded, int out, int stride) {
    Ops e = block.withSubScope("expand");
    Operand<TFloat32> h = e.nn.relu6(n.bn(e, n.conv(e, x, 1, in, expanded, 1, "SAME"), expanded,
        false));
    return project(n, block, depthwise(n, block, h, expanded, stride), expanded, out);
  }

  /** 3x3 depthwise conv + BN + ReLU6. */
  private static Operand<TFloat32> depthwise(FixtureNet n, Ops block, Operand<TFloat32> x,
      int channels, int stride) {
    Ops d = block.withSubScope("depthwise");
    return d.nn.relu6(n.bn(d, d.nn.depthwiseConv2dNative(x, n.p.he(d, "depthwise_kernel", 9, 3,
        3, channels, 1), List.of(1L, (long) stride, (long) stride, 1L), "SAME"), channels,
        false));
  }

  /** The linear bottleneck: 1x1 conv + BN, no activation. */
  private static Operand<TFloat32> project(FixtureNet n, Ops block, Operand<TFloat32> x, int in,
      int out) {
    Ops p = block.withSubScope("project");
    return n.bn(p, n.conv(p, x, 1, in, out, 1, "SAME"), out, false);
  }

  /**
   * stem, pooling, an identity and a strided projection pre-activation block, then batch norm
   * and ReLU on the stream ({@code post_bn}), global average pooling, logits.
   */
  static Operand<TFloat32> preActFinalNorm(FixtureNet n, Operand<TFloat32> x) {
    Operand<TFloat32> h = LayerKindModels.stemAndPool(n, x);
    Ops b1 = n.tf.withSubScope("preact1");
    h = n.addV2(b1, h, LayerKindModels.preActBranch(n, b1, LayerKindModels.preAct(n, b1, h, 8),
        8, 8, 1));
    Ops b2 = n.tf.withSubScope("preact2");
    Operand<TFloat32> pre = LayerKindModels.preAct(n, b2, h, 8);
    Ops sc = b2.withSubScope("shortcut");
    Operand<TFloat32> shortcut = n.conv(sc, pre, 1, 8, 16, 2, "SAME");
    h = n.addV2(b2, shortcut, LayerKindModels.preActBranch(n, b2, pre, 8, 16, 2));
    Ops post = n.tf.withSubScope("post_bn");
    h = post.nn.relu(n.bn(post, h, 16, false));
    h = n.tf.withName("gap").math.mean(h, n.tf.constant(new int[] {1, 2}));
    return n.dense(n.tf.withSubScope("logits"), h, 16, 10);
  }

  /**
   * flatten, dense 784 -> 32 with bias, then batch norm as Keras's {@code
   * tf.nn.batch_normalization} writes it ({@code x * (gamma * rsqrt(var + eps)) + (beta - mean *
   * that)}), ReLU; dense 32 -> 16 without bias, batch norm as {@code x * s - c}, ReLU; dense
   * 16 -> 16, ReLU, then batch norm (Keras's {@code Dense(activation='relu')} then {@code
   * BatchNormalization}); logits.
   */
  static Operand<TFloat32> denseBatchNorm(FixtureNet n, Operand<TFloat32> x) {
    Ops flat = n.tf.withSubScope("flatten");
    Operand<TFloat32> h = flat.reshape(x, flat.constant(new int[] {-1, 784}));
    Ops d1 = n.tf.withSubScope("dense");
    h = d1.nn.relu(unfusedNorm(n, n.tf.withSubScope("batch_normalization"),
        n.dense(d1, h, 784, 32), 32, false));
    Ops d2 = n.tf.withSubScope("dense_1");
    h = d2.nn.relu(unfusedNorm(n, n.tf.withSubScope("batch_normalization_1"),
        d2.linalg.matMul(h, n.p.he(d2, "kernel", 32, 32, 16)), 16, true));
    Ops d3 = n.tf.withSubScope("dense_2");
    h = unfusedNorm(n, n.tf.withSubScope("batch_normalization_2"),
        d3.nn.relu(n.dense(d3, h, 16, 16)), 16, false);
    return n.dense(n.tf.withSubScope("logits"), h, 16, 10);
  }

  /** Inference-mode batch norm from its four variables, unfused; epsilon 1e-3. */
  private static Operand<TFloat32> unfusedNorm(FixtureNet n, Ops s, Operand<TFloat32> y, int units,
      boolean subtract) {
    Operand<TFloat32> gamma = n.vector(s, "gamma", units, 0.5f, 1.5f);
    Operand<TFloat32> beta = n.vector(s, "beta", units, -0.5f, 0.5f);
    Operand<TFloat32> mean = n.vector(s, "moving_mean", units, -0.3f, 0.3f);
    Operand<TFloat32> variance = n.vector(s, "moving_variance", units, 0.5f, 2f);
    Ops bn = s.withSubScope("batchnorm");
    Operand<TFloat32> inv = bn.withName("mul").math.mul(bn.math.rsqrt(n.addV2(bn, variance,
        bn.constant(1e-3f))), gamma);
    Operand<TFloat32> scaled = bn.withName("mul_1").math.mul(y, inv);
    Operand<TFloat32> meanScaled = bn.withName("mul_2").math.mul(mean, inv);
    if (subtract) {
      return bn.withName("sub_1").math.sub(scaled, bn.math.sub(meanScaled, beta));
    }
    return n.addV2(bn, scaled, bn.withName("sub").math.sub(beta, meanScaled));
  }
}
