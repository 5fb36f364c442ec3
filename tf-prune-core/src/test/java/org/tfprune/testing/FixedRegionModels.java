package org.tfprune.testing;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.nn.Conv2d;
import org.tensorflow.types.TFloat32;

/**
 * The fixtures of {@link LayerKindModels} with an op tf-prune does not map between two prunable
 * layers, which it keeps as a fixed, unpruned region: a {@code Selu} after a dense layer, and a
 * {@code Square} then a per-channel {@code Mul} by a variable after a conv; forms of real networks
 * the mapper has no layer for (two branches joined by an addition that is no residual block, a
 * dilated and a non-square conv, a depthwise conv with channel multiplier 2, batch norm before
 * and after one activation, a softmax over the channels).
 */
final class FixedRegionModels {
  private FixedRegionModels() {}

  /**
   * flatten, dense 784 -> 32 + ReLU, dense 32 -> 24 (no activation), {@code selu/Selu}, dense
   * 24 -> 16 + ReLU, logits.
   */
  static Operand<TFloat32> seluBetweenDenseLayers(FixtureNet n, Operand<TFloat32> x) {
    Ops flat = n.tf.withSubScope("flatten");
    Operand<TFloat32> h = flat.reshape(x, flat.constant(new int[] {-1, 784}));
    Ops d1 = n.tf.withSubScope("dense");
    h = d1.nn.relu(n.dense(d1, h, 784, 32));
    Ops d2 = n.tf.withSubScope("dense_1");
    h = n.dense(d2, h, 32, 24);
    h = n.tf.withSubScope("selu").withName("Selu").nn.selu(h);
    Ops d3 = n.tf.withSubScope("dense_2");
    h = d3.nn.relu(n.dense(d3, h, 24, 16));
    return n.dense(n.tf.withSubScope("logits"), h, 16, 10);
  }

  /**
   * conv 3x3 (8) + bias + ReLU, max pool, conv 3x3 (12) + bias, {@code scale/Square}, {@code
   * scale/mul} by 12 per-channel values, conv 1x1 (16) + bias + ReLU, global average pooling,
   * logits.
   */
  static Operand<TFloat32> squareBetweenConvs(FixtureNet n, Operand<TFloat32> x) {
    Ops c1 = n.tf.withSubScope("conv2d");
    Operand<TFloat32> h = c1.nn.relu(c1.nn.biasAdd(n.conv(c1, x, 3, 1, 8, 1, "VALID"),
        n.vector(c1, "bias", 8, -0.1f, 0.1f)));
    Ops pool = n.tf.withSubScope("max_pooling2d");
    h = pool.nn.maxPool(h, pool.constant(new int[] {1, 2, 2, 1}),
        pool.constant(new int[] {1, 2, 2, 1}), "VALID");
    Ops c2 = n.tf.withSubScope("conv2d_1");
    h = c2.nn.biasAdd(n.conv(c2, h, 3, 8, 12, 1, "VALID"), n.vector(c2, "bias", 12, -0.1f,
        0.1f));
    Ops scale = n.tf.withSubScope("scale");
    h = scale.withName("mul").math.mul(scale.withName("Square").math.square(h),
        n.vector(scale, "gamma", 12, 0.2f, 0.6f));
    Ops c3 = n.tf.withSubScope("conv2d_2");
    h = c3.nn.relu(c3.nn.biasAdd(n.conv(c3, h, 1, 12, 16, 1, "SAME"), n.vector(c3, "bias", 16,
        -0.1f, 0.1f)));
    h = n.tf.withName("gap").math.mean(h, n.tf.constant(new int[] {1, 2}));
    return n.dense(n.tf.withSubScope("logits"), h, 16, 10);
  }

  /**
   * conv 3x3 (8) + BN + ReLU, max pool; {@code join/add} of a mapped conv 3x3 (8) + bias and a
   * conv 3x3 (8) dilated by 2 ({@code join/dilated}), ReLU, a 1x3 conv (8) + bias + ReLU
   * ({@code join/wide}): one fixed region that reaches back to the pool, whose conv stays
   * frozen; conv 3x3 (16) + BN + ReLU, global average pooling, logits.
   */
  static Operand<TFloat32> joinedBranches(FixtureNet n, Operand<TFloat32> x) {
    Ops c1 = n.tf.withSubScope("conv2d");
    Operand<TFloat32> h = c1.nn.relu(n.bn(c1, n.conv(c1, x, 3, 1, 8, 1, "SAME"), 8, false));
    Ops pool = n.tf.withSubScope("max_pooling2d");
    h = pool.nn.maxPool(h, pool.constant(new int[] {1, 2, 2, 1}),
        pool.constant(new int[] {1, 2, 2, 1}), "VALID");
    Ops join = n.tf.withSubScope("join");
    Ops plain = join.withSubScope("plain");
    Operand<TFloat32> a = plain.nn.biasAdd(n.conv(plain, h, 3, 8, 8, 1, "SAME"),
        n.vector(plain, "bias", 8, -0.1f, 0.1f));
    Ops dil = join.withSubScope("dilated");
    Operand<TFloat32> b = dil.nn.conv2d(h, n.p.he(dil, "kernel", 72, 3, 3, 8, 8),
        List.of(1L, 1L, 1L, 1L), "SAME", Conv2d.dilations(List.of(1L, 2L, 2L, 1L)));
    h = join.nn.relu(join.withName("add").math.add(a, b));
    Ops wide = join.withSubScope("wide");
    h = wide.nn.relu(wide.nn.biasAdd(wide.nn.conv2d(h, n.p.he(wide, "kernel", 24, 1, 3, 8, 8),
        List.of(1L, 1L, 1L, 1L), "SAME"), n.vector(wide, "bias", 8, -0.1f, 0.1f)));
    Ops c2 = n.tf.withSubScope("conv2d_1");
    h = c2.nn.relu(n.bn(c2, n.conv(c2, h, 3, 8, 16, 1, "SAME"), 16, false));
    h = n.tf.withName("gap").math.mean(h, n.tf.constant(new int[] {1, 2}));
    return n.dense(n.tf.withSubScope("logits"), h, 16, 10);
  }

  /**
   * conv 3x3 (8) + bias + ReLU; {@code expand}: a depthwise conv 3x3 with channel multiplier 2
   * (16) + bias + ReLU, stride 2 (a fixed region); conv 3x3 (12) + BN + ReLU + BN ({@code
   * twice}) and {@code attend}, a softmax over the channels (a second fixed region); conv 1x1
   * (16) + bias + ReLU, global average pooling, logits.
   */
  static Operand<TFloat32> unmappedKinds(FixtureNet n, Operand<TFloat32> x) {
    Ops c1 = n.tf.withSubScope("conv2d");
    Operand<TFloat32> h = c1.nn.relu(c1.nn.biasAdd(n.conv(c1, x, 3, 1, 8, 1, "SAME"),
        n.vector(c1, "bias", 8, -0.1f, 0.1f)));
    Ops dw = n.tf.withSubScope("expand");
    h = dw.nn.relu(dw.nn.biasAdd(dw.withName("depthwise").nn.depthwiseConv2dNative(h,
        n.p.he(dw, "depthwise_kernel", 9, 3, 3, 8, 2), List.of(1L, 2L, 2L, 1L), "SAME"),
        n.vector(dw, "bias", 16, -0.1f, 0.1f)));
    Ops c2 = n.tf.withSubScope("twice");
    h = n.bn(c2.withSubScope("after"), c2.nn.relu(n.bn(c2, n.conv(c2, h, 3, 16, 12, 1, "SAME"),
        12, false)), 12, false);
    h = n.tf.withSubScope("attend").withName("Softmax").nn.softmax(h);
    Ops c3 = n.tf.withSubScope("conv2d_1");
    h = c3.nn.relu(c3.nn.biasAdd(n.conv(c3, h, 1, 12, 16, 1, "SAME"), n.vector(c3, "bias", 16,
        -0.1f, 0.1f)));
    h = n.tf.withName("gap").math.mean(h, n.tf.constant(new int[] {1, 2}));
    return n.dense(n.tf.withSubScope("logits"), h, 16, 10);
  }

  /**
   * Keras MobileNet's classifier head: conv 3x3 (8) + BN + ReLU, stride 2, conv 3x3 (16) + BN +
   * ReLU, global average pooling, then (older Keras) {@code reshape} to [-1, 1, 1, 16] or (newer)
   * the pooling with {@code keepdims}, a 1x1 conv of 10 filters + bias ({@code conv_preds}) and
   * {@code reshape_2} to the 10 logits: the 1x1 conv is the logits' dense layer.
   */
  static Operand<TFloat32> convHead(FixtureNet n, Operand<TFloat32> x, boolean keepDims) {
    Ops c1 = n.tf.withSubScope("conv1");
    Operand<TFloat32> h = c1.nn.relu(n.bn(c1, n.conv(c1, x, 3, 1, 8, 2, "SAME"), 8, false));
    Ops c2 = n.tf.withSubScope("conv2");
    h = c2.nn.relu(n.bn(c2, n.conv(c2, h, 3, 8, 16, 1, "SAME"), 16, false));
    if (keepDims) {
      h = n.tf.withName("gap").math.mean(h, n.tf.constant(new int[] {1, 2}),
          org.tensorflow.op.math.Mean.keepDims(true));
    } else {
      h = n.tf.withName("gap").math.mean(h, n.tf.constant(new int[] {1, 2}));
      h = n.tf.withSubScope("reshape").withName("Reshape").reshape(h,
          n.tf.constant(new int[] {-1, 1, 1, 16}));
    }
    h = n.tf.withSubScope("dropout").withName("Identity").identity(h);
    Ops preds = n.tf.withSubScope("conv_preds");
    h = preds.nn.biasAdd(n.conv(preds, h, 1, 16, 10, 1, "SAME"), n.vector(preds, "bias", 10,
        -0.1f, 0.1f));
    return n.tf.withSubScope("reshape_2").withName("Reshape").reshape(h,
        n.tf.constant(new int[] {-1, 10}));
  }
}
