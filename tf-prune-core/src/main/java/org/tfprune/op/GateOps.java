package org.tfprune.op;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.random.RandomUniformInt;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

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
   *
   * @param seed a {@code [2]} int64 key: the same key gives the same sample (stateless sampling,
   *     so a trainer can feed {@code (seed, step)} and a resumed run draws what the first one
   *     would have)
   */
  public Operand<TFloat32> sample(Operand<TFloat32> theta, Operand<TInt32> shape,
      Operand<TInt64> seed) {
    return bernoulli(theta, tf.random.statelessRandomUniform(shape, seed, TFloat32.class));
  }

  /**
   * The Bernoulli({@code theta}) sample {@code 1[u < theta]} for given uniform draws {@code u}
   * (whose last dimension is theta's length), without gradient. A trainer that draws on the host
   * feeds {@code -u} to {@link #bernoulliOfNegated} instead.
   */
  public Operand<TFloat32> bernoulli(Operand<TFloat32> theta, Operand<TFloat32> uniforms) {
    return bernoulliOfNegated(theta, tf.math.neg(uniforms));
  }

  /**
   * {@link #bernoulli} from negated draws {@code -u}: what a trainer feeds, so that the graph
   * needs no pass to negate them.
   */
  public Operand<TFloat32> bernoulliOfNegated(Operand<TFloat32> theta,
      Operand<TFloat32> negatedUniforms) {
    // relu(sign(theta - u)) = 1[u < theta]: float ops throughout, and per-example draws add
    // theta with BiasAdd; both cost less on CPU than a broadcasting comparison and a cast
    return tf.stopGradient(tf.nn.relu(tf.math.sign(
        addPerStructure(negatedUniforms, tf.stopGradient(theta)))));
  }

  /** {@code values + v} for a {@code [n]} vector {@code v}: BiasAdd when {@code values} is 2-D. */
  private Operand<TFloat32> addPerStructure(Operand<TFloat32> values, Operand<TFloat32> v) {
    return values.shape().numDimensions() == 2 ? tf.nn.biasAdd(values, v) : tf.math.add(values, v);
  }

  /**
   * Gate values from given uniform draws: the straight-through sample in {@link
   * GateMode#SAMPLED} mode ({@code [batch, n]} draws give per-example gates, {@code [n]} draws one
   * gate per structure for the batch), the deterministic gates otherwise.
   */
  public Operand<TFloat32> fromUniforms(Operand<TFloat32> theta, Operand<TFloat32> uniforms,
      GateMode mode) {
    if (mode == GateMode.DETERMINISTIC) {
      return deterministic(theta);
    }
    checkSampled(mode);
    return straightThrough(theta, bernoulli(theta, uniforms));
  }

  /** A sample with a fresh key drawn at every run from a generator seeded with {@code seed}. */
  public Operand<TFloat32> sample(Operand<TFloat32> theta, Operand<TInt32> shape, long seed) {
    return sample(theta, shape, freshKey(seed));
  }

  /**
   * A {@code [2]} int64 sampling key that is redrawn at every run (a stateful generator seeded
   * with {@code seed}), unless a caller feeds its own key into it.
   */
  public Operand<TInt64> freshKey(long seed) {
    Operand<TInt64> drawn = tf.random.randomUniformInt(tf.constant(new int[] {2}),
        tf.constant(0L), tf.constant(Long.MAX_VALUE), RandomUniformInt.seed(seed >>> 1),
        RandomUniformInt.seed2(seed ^ 0x5DEECE66DL));
    return tf.placeholderWithDefault(drawn, Shape.of(2));
  }

  /**
   * The straight-through gate {@code z = xi + (theta - stopGradient(theta))}: its value is the
   * sample {@code xi}, its derivative with respect to theta is 1.
   */
  public Operand<TFloat32> straightThrough(Operand<TFloat32> theta, Operand<TFloat32> sample) {
    return withOffset(sample, straightThroughOffset(theta));
  }

  /**
   * {@code theta - stopGradient(theta)}: zero-valued, with derivative 1 with respect to theta. A
   * trainer may differentiate a loss with respect to this tensor instead of theta: the same
   * gradient, without the ops that lead to theta.
   */
  public Operand<TFloat32> straightThroughOffset(Operand<TFloat32> theta) {
    return tf.math.sub(theta, tf.stopGradient(theta));
  }

  /** {@code sample + offset} for a {@link #straightThroughOffset}: the straight-through gate. */
  public Operand<TFloat32> withOffset(Operand<TFloat32> sample, Operand<TFloat32> offset) {
    // the zero-valued term is theta-sized, so only one op is as large as the sample
    return addPerStructure(sample, offset);
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
    return mode == GateMode.DETERMINISTIC ? deterministic(theta)
        : perExample(theta, batchSize, mode, freshKey(seed));
  }

  /** {@link #perExample(Operand, Operand, GateMode, long)} with a given sampling key. */
  public Operand<TFloat32> perExample(Operand<TFloat32> theta, Operand<TInt32> batchSize,
      GateMode mode, Operand<TInt64> seed) {
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
    return mode == GateMode.DETERMINISTIC ? deterministic(theta)
        : perBatch(theta, mode, freshKey(seed));
  }

  /** {@link #perBatch(Operand, GateMode, long)} with a given sampling key. */
  public Operand<TFloat32> perBatch(Operand<TFloat32> theta, GateMode mode,
      Operand<TInt64> seed) {
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
