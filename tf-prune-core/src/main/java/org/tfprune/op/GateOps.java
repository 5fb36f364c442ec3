package org.tfprune.op;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.random.RandomUniform;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Stochastic 0/1 gates with learned keep probabilities {@code theta}: Bernoulli sampling, the
 * straight-through path to {@code theta}, deterministic evaluation and the projection onto [0, 1].
 * Obtain it from {@link PruneOps#gates}.
 */
public final class GateOps {
  private final Ops tf;

  GateOps(Ops tf) {
    this.tf = tf;
  }

  /**
   * A Bernoulli({@code theta}) sample broadcast to {@code shape} (whose last dimension is theta's
   * length). No gradient flows through it. Sampling ops have no gradient in TF-Java, so the shape
   * must not depend on trainable tensors: take the batch size from the input placeholder.
   */
  public Operand<TFloat32> sample(Operand<TFloat32> theta, Operand<TInt32> shape, long seed) {
    Operand<TFloat32> u = tf.random.randomUniform(shape, TFloat32.class,
        RandomUniform.seed(seed >>> 1), RandomUniform.seed2(seed ^ 0x5DEECE66DL));
    Operand<TBool> keep = tf.math.less(u, tf.stopGradient(theta));
    return tf.stopGradient(tf.dtypes.cast(keep, TFloat32.class));
  }

  /**
   * The straight-through gate {@code z = theta + stopGradient(xi - theta)}: its value is the sample
   * {@code xi}, its derivative with respect to theta is 1.
   */
  public Operand<TFloat32> straightThrough(Operand<TFloat32> theta, Operand<TFloat32> sample) {
    return tf.math.add(theta, tf.stopGradient(tf.math.sub(sample, theta)));
  }

  /** The deterministic gate {@code 1[theta >= 0.5]}, without gradient. */
  public Operand<TFloat32> deterministic(Operand<TFloat32> theta) {
    return tf.stopGradient(tf.dtypes.cast(tf.math.greaterEqual(theta, tf.constant(0.5f)),
        TFloat32.class));
  }

  /**
   * Gate values for a batch: {@code [batch, n]} samples drawn per example in {@link
   * GateMode#SAMPLED} mode, or the {@code [n]} deterministic gates otherwise (they broadcast).
   *
   * @param batchSize a {@code [1]} tensor holding the batch size, taken from the input placeholder
   */
  public Operand<TFloat32> perExample(Operand<TFloat32> theta, Operand<TInt32> batchSize,
      GateMode mode, long seed) {
    if (mode == GateMode.DETERMINISTIC) {
      return deterministic(theta);
    }
    checkSampled(mode);
    Operand<TInt32> shape = tf.concat(List.of(batchSize, tf.shape(theta)), tf.constant(0));
    return straightThrough(theta, sample(theta, shape, seed));
  }

  /**
   * One gate value per structure shared by the whole batch ({@code [n]}): cheaper when the gate
   * scales a weight matrix instead of activations (input-feature gates scale kernel rows).
   */
  public Operand<TFloat32> perBatch(Operand<TFloat32> theta, GateMode mode, long seed) {
    if (mode == GateMode.DETERMINISTIC) {
      return deterministic(theta);
    }
    checkSampled(mode);
    return straightThrough(theta, sample(theta, tf.shape(theta), seed));
  }

  /** The projection of theta onto [0, 1], with frozen (pruned) entries held at 0 by {@code mask}. */
  public Operand<TFloat32> project(Operand<TFloat32> theta, Operand<TFloat32> mask) {
    return tf.math.mul(tf.clipByValue(theta, tf.constant(0f), tf.constant(1f)), mask);
  }

  private static void checkSampled(GateMode mode) {
    if (mode != GateMode.SAMPLED) {
      throw new IllegalArgumentException("gate mode " + mode + " has no gate values");
    }
  }
}
