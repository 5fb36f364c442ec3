package org.tfprune.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.train.ApplyMomentum;
import org.tensorflow.types.TFloat32;

class CarriedNormsTest {
  private static final int STEPS = 300;
  private static final long TOTAL = 1000;
  /** The prior's weight coefficient c / N of a kept structure (pulls hard enough to see). */
  private static final double COEFFICIENT = 0.5;
  private static final float[] WEIGHTS = {0.05f, -0.05f, 0.05f, -0.05f};
  private static final float SECOND_MOMENT = 4e-4f;

  /**
   * The squared norm after {@link #STEPS} steps of TensorFlow's own optimizer on weights whose
   * only gradient is the prior's, {@code 2 (c / N) w}: a kept weight of a masked graph that reads
   * a frozen structure.
   */
  private static double optimizerSquaredNorm(OptimizerSpec spec) {
    float[] v0 = new float[WEIGHTS.length];
    java.util.Arrays.fill(v0, SECOND_MOMENT);
    return optimizerSquaredNorm(spec, WEIGHTS, v0);
  }

  private static double optimizerSquaredNorm(OptimizerSpec spec, float[] weights, float[] v0) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Variable<TFloat32> w = tf.variable(Shape.of(weights.length), TFloat32.class);
      Variable<TFloat32> m = tf.variable(Shape.of(weights.length), TFloat32.class);
      Variable<TFloat32> v = tf.variable(Shape.of(weights.length), TFloat32.class);
      Placeholder<TFloat32> lr = tf.placeholder(TFloat32.class);
      Placeholder<TFloat32> b1p = tf.placeholder(TFloat32.class);
      Placeholder<TFloat32> b2p = tf.placeholder(TFloat32.class);
      s.runner().addTarget(tf.assign(w, tf.constant(weights)))
          .addTarget(tf.assign(m, tf.zerosLike(tf.constant(weights))))
          .addTarget(tf.assign(v, tf.constant(v0))).run();
      Operand<TFloat32> grad = tf.math.mul(tf.identity(w), tf.constant((float) (2 * COEFFICIENT)));
      Op step = spec.kind() == OptimizerSpec.Kind.ADAM
          ? tf.train.applyAdam(w, m, v, b1p, b2p, lr, tf.constant((float) spec.momentum()),
              tf.constant(0.999f), tf.constant(1e-7f), grad)
          : tf.train.applyMomentum(w, m, lr, grad, tf.constant((float) spec.momentum()),
              ApplyMomentum.useNesterov(true));
      for (int k = 0; k < STEPS; k++) {
        long t = k + 1;
        try (TFloat32 l = TFloat32.scalarOf((float) spec.learningRateAt(k, TOTAL));
            TFloat32 p1 = TFloat32.scalarOf((float) Math.pow(spec.momentum(), t));
            TFloat32 p2 = TFloat32.scalarOf((float) Math.pow(0.999, t))) {
          s.runner().feed(lr, l).feed(b1p, p1).feed(b2p, p2).addTarget(step).run();
        }
      }
      try (TFloat32 out = (TFloat32) s.runner().fetch(w).run().get(0)) {
        double sum = 0;
        for (int i = 0; i < weights.length; i++) {
          sum += out.getFloat(i) * out.getFloat(i);
        }
        return sum;
      }
    }
  }

  /** The carried model of the same weights, removed from the graph, after as many steps. */
  private static double carriedSquaredNorm(OptimizerSpec spec, int chunk) {
    double s0 = 0;
    for (float w : WEIGHTS) {
      s0 += w * w;
    }
    CarriedNorms c = CarriedNorms.of(Map.of("g", new float[] {(float) s0},
        "g" + CarriedNorms.COUNT, new float[] {WEIGHTS.length},
        "g" + CarriedNorms.SECOND_MOMENT,
        new float[] {spec.kind() == OptimizerSpec.Kind.ADAM ? SECOND_MOMENT : 0}));
    // advanced in chunks, as the trainer does at its pruning checks
    for (int done = 0; done < STEPS; done += chunk) {
      c.advance(chunk, Map.of("g", new double[] {COEFFICIENT}), spec,
          step -> spec.learningRateAt(step, TOTAL), done, done, 60000);
    }
    return c.squaredNorms().get("g")[0];
  }

  @Test
  void carriedNormDecaysAsAKeptWeightUnderAdam() {
    OptimizerSpec adam = OptimizerSpec.adam(1e-3, 1e-5);
    double kept = optimizerSquaredNorm(adam);
    // the norm falls a lot (so the comparison means something) ...
    assertThat(kept).isLessThan(0.5 * 4 * 0.05 * 0.05);
    // ... and the model follows TensorFlow's float32 Adam to float rounding over 300 steps
    assertThat(carriedSquaredNorm(adam, 100)).isCloseTo(kept,
        org.assertj.core.data.Percentage.withPercentage(0.1));
    assertThat(carriedSquaredNorm(adam, 1)).isCloseTo(kept,
        org.assertj.core.data.Percentage.withPercentage(0.1));
  }

  @Test
  void carriedNormDecaysAsAKeptWeightUnderNesterovMomentum() {
    OptimizerSpec momentum = OptimizerSpec.momentum(0.01, 1e-4, 0.9);
    double kept = optimizerSquaredNorm(momentum);
    assertThat(kept).isLessThan(0.5 * 4 * 0.05 * 0.05);
    assertThat(carriedSquaredNorm(momentum, 100)).isCloseTo(kept,
        org.assertj.core.data.Percentage.withPercentage(0.1));
  }

  @Test
  void storedStateRoundTripsAndKeepsDecaying() {
    OptimizerSpec adam = OptimizerSpec.adam(1e-3, 1e-5);
    CarriedNorms c = CarriedNorms.of(Map.of("g", new float[] {0.01f},
        "g" + CarriedNorms.COUNT, new float[] {4}));
    c.advance(50, Map.of("g", new double[] {COEFFICIENT}), adam, k -> 1e-3, 0, 0, 60000);
    CarriedNorms resumed = CarriedNorms.of(c.stored());
    c.advance(50, Map.of("g", new double[] {COEFFICIENT}), adam, k -> 1e-3, 50, 50, 60000);
    resumed.advance(50, Map.of("g", new double[] {COEFFICIENT}), adam, k -> 1e-3, 50, 50, 60000);
    assertThat(resumed.squaredNorms().get("g")[0]).isEqualTo(c.squaredNorms().get("g")[0]);
    assertThat(c.squaredNorms().get("g")[0]).isLessThan(0.01f);
  }

  /**
   * Removed weights of one structure with different magnitudes and second moments decay at
   * different rates (under Adam a weight whose data gradient was large moves slowly); each is
   * carried with its own state, so their summed squared norm follows TensorFlow's per-weight
   * Adam, where one representative of their root-mean-square magnitude and mean second moment
   * is off by far more than half.
   */
  @Test
  void weightsOfDifferentMomentsDecayEachAtItsOwnRate() {
    OptimizerSpec adam = OptimizerSpec.adam(1e-3, 1e-5);
    float[] weights = {0.05f, -0.012f, 0.003f, 0.03f, -0.0007f};
    float[] v0 = {4e-4f, 1e-6f, 1e-9f, 2.5e-5f, 0f};
    double kept = optimizerSquaredNorm(adam, weights, v0);
    CarriedNorms c = CarriedNorms.empty();
    for (int i = 0; i < weights.length; i++) {
      c.add("g", 2, 1, Math.abs(weights[i]), 0, v0[i], 0);
    }
    assertThat(c.entries("g")).isEqualTo(weights.length);
    for (int done = 0; done < STEPS; done += 20) {
      c.advance(20, Map.of("g", new double[] {0, COEFFICIENT}), adam,
          step -> adam.learningRateAt(step, TOTAL), done, done, 60000);
    }
    assertThat(c.squaredNorms().get("g")[0]).isZero();
    assertThat((double) c.squaredNorms().get("g")[1]).isCloseTo(kept,
        org.assertj.core.data.Percentage.withPercentage(0.1));
    // the representative of the old model: root-mean-square magnitude, mean second moment
    double s0 = 0;
    double meanV = 0;
    for (int i = 0; i < weights.length; i++) {
      s0 += weights[i] * weights[i];
      meanV += v0[i] / weights.length;
    }
    CarriedNorms one = CarriedNorms.of(Map.of("g", new float[] {(float) s0},
        "g" + CarriedNorms.COUNT, new float[] {weights.length},
        "g" + CarriedNorms.SECOND_MOMENT, new float[] {(float) meanV}));
    for (int done = 0; done < STEPS; done += 20) {
      one.advance(20, Map.of("g", new double[] {COEFFICIENT}), adam,
          step -> adam.learningRateAt(step, TOTAL), done, done, 60000);
    }
    assertThat((double) one.squaredNorms().get("g")[0]).as("one representative")
        .isNotCloseTo(kept, org.assertj.core.data.Percentage.withPercentage(50));
  }

  /** Weights within one bin of magnitude and second moment share an entry; others do not. */
  @Test
  void neighboursShareAnEntryAndTheSquaredNormIsExact() {
    CarriedNorms c = CarriedNorms.empty();
    c.add("g", 3, 2, 0.0100, 0, 1e-6, 0);
    c.add("g", 3, 2, 0.0110, 0, 1.05e-6, 0);
    c.add("g", 3, 2, 0.0400, 0, 1e-6, 0); // two octaves larger
    c.add("g", 3, 2, 0.0101, 0, 1e-4, 0); // sqrt v ten times larger
    c.add("g", 3, 0, 0.0100, 0, 1e-6, 0); // another structure
    c.add("g", 3, 2, 0.0100, 0, 1e-6, 3.0); // another co-owner's pull
    assertThat(c.entries("g")).isEqualTo(5);
    float[] s = c.squaredNorms().get("g");
    assertThat((double) s[2]).isCloseTo(0.01 * 0.01 + 0.011 * 0.011 + 0.04 * 0.04
        + 0.0101 * 0.0101 + 0.01 * 0.01, within(1e-9));
    assertThat(s[1]).isZero();
    CarriedNorms resumed = CarriedNorms.of(c.stored());
    assertThat(resumed.entries("g")).isEqualTo(5);
    assertThat(resumed.squaredNorms().get("g")).containsExactly(s);
    // a rebuild keeping structures 2 and 0 (in that order) renumbers their entries
    CarriedNorms kept = c.keeping(Map.of("g", new int[] {2, 0}));
    assertThat(kept.squaredNorms().get("g")).containsExactly(s[2], s[0]);
  }
}
