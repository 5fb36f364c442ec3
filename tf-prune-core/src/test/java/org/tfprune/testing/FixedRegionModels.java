package org.tfprune.testing;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The fixtures of {@link LayerKindModels} with an op tf-prune does not map between two prunable
 * layers, which it keeps as a fixed, unpruned region: a {@code Selu} after a dense layer, and a
 * {@code Square} then a per-channel {@code Mul} by a variable after a conv.
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
}
