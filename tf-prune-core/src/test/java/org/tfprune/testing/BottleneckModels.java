package org.tfprune.testing;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The fixtures of {@link LayerKindModels} for ResNet's bottleneck blocks (1x1 -> 3x3 -> 1x1),
 * as Keras's ResNet50 (v1) and ResNet50V2 (pre-activation) write them.
 */
final class BottleneckModels {
  private BottleneckModels() {}

  /**
   * stem (3x3 conv + BN + ReLU, 8 filters), 2x2 max pool, a projection bottleneck block with the
   * stride on its first 1x1 conv (8 -> 6/6 -> 16, stride 2, Keras's ResNet50), an identity
   * bottleneck block (16 -> 6/6 -> 16), both ReLU after the addition, global average pooling,
   * logits.
   */
  static Operand<TFloat32> v1(FixtureNet n, Operand<TFloat32> x) {
    Operand<TFloat32> h = LayerKindModels.stemAndPool(n, x);
    Ops b1 = n.tf.withSubScope("conv2_block1");
    Ops sc = b1.withSubScope("0");
    Operand<TFloat32> shortcut = n.bn(sc, n.conv(sc, h, 1, 8, 16, 2, "SAME"), 16, false);
    h = b1.nn.relu(n.addV2(b1, shortcut, branch(n, b1, h, 8, 6, 16, 2, 1)));
    Ops b2 = n.tf.withSubScope("conv2_block2");
    h = b2.nn.relu(n.addV2(b2, h, branch(n, b2, h, 16, 6, 16, 1, 1)));
    h = n.tf.withName("gap").math.mean(h, n.tf.constant(new int[] {1, 2}));
    return n.dense(n.tf.withSubScope("logits"), h, 16, 10);
  }

  /** 1x1 conv + BN + ReLU (stride {@code s1}), 3x3 conv + BN + ReLU (stride {@code s2}), 1x1 + BN. */
  private static Operand<TFloat32> branch(FixtureNet n, Ops block, Operand<TFloat32> x, int in,
      int inner, int out, int s1, int s2) {
    Ops a = block.withSubScope("1");
    Operand<TFloat32> h = a.nn.relu(n.bn(a, n.conv(a, x, 1, in, inner, s1, "SAME"), inner,
        false));
    Ops b = block.withSubScope("2");
    h = b.nn.relu(n.bn(b, n.conv(b, h, 3, inner, inner, s2, "SAME"), inner, false));
    Ops c = block.withSubScope("3");
    return n.bn(c, n.conv(c, h, 1, inner, out, 1, "SAME"), out, false);
  }

  /**
   * A ResNet50V2 stage: stem and pool, a pre-activation bottleneck block with a projection
   * shortcut reading the pre-activated input (8 -> 6/6 -> 16), then the stage's last block,
   * stride 2 on its 3x3 conv, whose identity shortcut is {@code MaxPool(1, strides=2)} of the
   * block's input (16 -> 6/6 -> 16); each 3x3 conv reads its input zero-padded by 1 (VALID, as
 * Keras's ResNet50V2: with stride 2 on an even size not the same as SAME); the last 1x1 convs and the projection have biases and no
   * batch norm; then batch norm and ReLU on the stream, global average pooling, logits.
   */
  static Operand<TFloat32> v2(FixtureNet n, Operand<TFloat32> x) {
    Operand<TFloat32> h = LayerKindModels.stemAndPool(n, x);
    Ops b1 = n.tf.withSubScope("conv2_block1");
    Operand<TFloat32> pre = LayerKindModels.preAct(n, b1, h, 8);
    Ops sc = b1.withSubScope("0");
    Operand<TFloat32> shortcut = sc.nn.biasAdd(n.conv(sc, pre, 1, 8, 16, 1, "SAME"),
        n.vector(sc, "bias", 16, -0.1f, 0.1f));
    h = n.addV2(b1, shortcut, preActBranch(n, b1, pre, 8, 6, 16, 1));
    Ops b2 = n.tf.withSubScope("conv2_block2");
    Ops pool = b2.withSubScope("0");
    Operand<TFloat32> subsampled = pool.nn.maxPool(h, pool.constant(new int[] {1, 1, 1, 1}),
        pool.constant(new int[] {1, 2, 2, 1}), "VALID");
    h = n.addV2(b2, subsampled, preActBranch(n, b2, LayerKindModels.preAct(n, b2, h, 16), 16, 6,
        16, 2));
    Ops post = n.tf.withSubScope("post_bn");
    h = post.nn.relu(n.bn(post, h, 16, false));
    h = n.tf.withName("gap").math.mean(h, n.tf.constant(new int[] {1, 2}));
    return n.dense(n.tf.withSubScope("logits"), h, 16, 10);
  }

  /**
   * ResNet v2's branch as Keras writes it: 1x1 + BN + ReLU, zero padding of 1 then a VALID 3x3
   * (stride) + BN + ReLU, 1x1 with a bias.
   */
  private static Operand<TFloat32> preActBranch(FixtureNet n, Ops block, Operand<TFloat32> x,
      int in, int inner, int out, int stride) {
    Ops a = block.withSubScope("1");
    Operand<TFloat32> h = a.nn.relu(n.bn(a, n.conv(a, x, 1, in, inner, 1, "SAME"), inner,
        false));
    Ops pad = block.withSubScope("pad");
    h = pad.pad(h, pad.constant(new int[][] {{0, 0}, {1, 1}, {1, 1}, {0, 0}}),
        pad.constant(0f));
    Ops b = block.withSubScope("2");
    h = b.nn.relu(n.bn(b, n.conv(b, h, 3, inner, inner, stride, "VALID"), inner, false));
    Ops c = block.withSubScope("3");
    return c.nn.biasAdd(n.conv(c, h, 1, inner, out, 1, "SAME"), n.vector(c, "bias", out, -0.1f,
        0.1f));
  }
}
