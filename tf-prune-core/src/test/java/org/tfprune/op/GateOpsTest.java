package org.tfprune.op;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tfprune.testing.Tf;

class GateOpsTest {
  private static final float[] THETA = {0f, 0.1f, 0.5f, 0.9f, 1f};
  private static final int SAMPLES = 20_000;

  @Test
  void sampledGateMeansMatchThetaWithinFourStandardErrors() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      PruneOps prune = PruneOps.create(tf);
      Operand<TFloat32> theta = tf.constant(THETA);
      Operand<TFloat32> xi = prune.gates.sample(theta,
          tf.constant(new int[] {SAMPLES, THETA.length}), 42);
      float[] v = Tf.fetch(s, xi);
      assertThat(v).hasSize(SAMPLES * THETA.length);
      for (int j = 0; j < THETA.length; j++) {
        double sum = 0;
        for (int i = 0; i < SAMPLES; i++) {
          sum += v[i * THETA.length + j];
        }
        double mean = sum / SAMPLES;
        double p = THETA[j];
        double se = Math.sqrt(p * (1 - p) / SAMPLES);
        assertThat(mean).as("mean of gate %d with theta %s", j, p)
            .isCloseTo(p, within(4 * se + 1e-12));
      }
    }
  }

  @Test
  void samplesAreExactlyZeroOrOne() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      PruneOps prune = PruneOps.create(tf);
      Operand<TFloat32> xi = prune.gates.sample(tf.constant(new float[] {0.3f, 0.7f, 0.01f}),
          tf.constant(new int[] {1000, 3}), 7);
      for (float x : Tf.fetch(s, xi)) {
        assertThat(x == 0f || x == 1f).as("sample %s is 0 or 1", x).isTrue();
      }
    }
  }

  @Test
  void perExampleGatesDifferBetweenExamplesAndAreRedrawnEachRun() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      PruneOps prune = PruneOps.create(tf);
      Operand<TFloat32> theta = tf.constant(new float[] {0.5f, 0.5f, 0.5f, 0.5f});
      Operand<TFloat32> z = prune.gates.perExample(theta, tf.constant(new int[] {64}),
          GateMode.SAMPLED, 3);
      float[] a = Tf.fetch(s, z);
      float[] b = Tf.fetch(s, z);
      assertThat(a).hasSize(64 * 4);
      // 64 rows of 4 fair coins: all rows equal has probability 2^-252
      boolean rowsDiffer = false;
      for (int i = 1; i < 64 && !rowsDiffer; i++) {
        for (int j = 0; j < 4; j++) {
          rowsDiffer |= a[i * 4 + j] != a[j];
        }
      }
      assertThat(rowsDiffer).as("per-example gates differ between examples").isTrue();
      assertThat(b).as("a second run draws new gates").isNotEqualTo(a);
    }
  }

  @Test
  void straightThroughGateValueEqualsSampleAndItsThetaDerivativeIsOne() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      PruneOps prune = PruneOps.create(tf);
      Placeholder<TFloat32> theta = tf.placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(4)));
      Operand<TFloat32> xi = prune.gates.sample(theta, tf.constant(new int[] {4}), 11);
      Operand<TFloat32> z = prune.gates.straightThrough(theta, xi);
      Operand<TFloat32> sum = tf.reduceSum(z, tf.constant(0));
      Output<?>[] grad = g.addGradients(sum.asOutput(), new Output<?>[] {theta.asOutput()});
      float[] th = {0.2f, 0.4f, 0.6f, 0.8f};
      for (int run = 0; run < 20; run++) {
        try (TFloat32 t = Tf.tensor(th, 4);
            Result r = s.runner().feed(theta, t).fetch(xi).fetch(z).fetch(grad[0]).run()) {
          float[] xiV = Tf.values(r.get(0));
          float[] zV = Tf.values(r.get(1));
          float[] gV = Tf.values(r.get(2));
          assertThat(zV).as("gate value equals the sample").containsExactly(xiV);
          assertThat(gV).as("d(sum z)/d theta").containsExactly(1f, 1f, 1f, 1f);
        }
      }
    }
  }

  @Test
  void perExampleStraightThroughGradientCountsEveryExample() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      PruneOps prune = PruneOps.create(tf);
      Placeholder<TFloat32> theta = tf.placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(3)));
      Operand<TFloat32> z = prune.gates.perExample(theta, tf.constant(new int[] {5}),
          GateMode.SAMPLED, 5);
      Operand<TFloat32> sum = tf.reduceSum(z, tf.constant(new int[] {0, 1}));
      Output<?>[] grad = g.addGradients(sum.asOutput(), new Output<?>[] {theta.asOutput()});
      try (TFloat32 t = Tf.tensor(new float[] {0.1f, 0.5f, 0.9f}, 3);
          Result r = s.runner().feed(theta, t).fetch(z).fetch(grad[0]).run()) {
        assertThat(r.get(0).shape().asArray()).containsExactly(5, 3);
        assertThat(Tf.values(r.get(1))).containsExactly(5f, 5f, 5f);
      }
    }
  }

  @Test
  void deterministicGateIsOneIffThetaIsAtLeastHalf() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      PruneOps prune = PruneOps.create(tf);
      Operand<TFloat32> theta = tf.constant(new float[] {0f, 0.2f, 0.4999f, 0.5f, 0.5001f, 1f});
      assertThat(Tf.fetch(s, prune.gates.deterministic(theta)))
          .containsExactly(0f, 0f, 0f, 1f, 1f, 1f);
      // perExample and perBatch in DETERMINISTIC mode give the same [n] gates
      Operand<TFloat32> pe = prune.gates.perExample(theta, tf.constant(new int[] {7}),
          GateMode.DETERMINISTIC, 1);
      Operand<TFloat32> pb = prune.gates.perBatch(theta, GateMode.DETERMINISTIC, 1);
      assertThat(Tf.fetch(s, pe)).containsExactly(0f, 0f, 0f, 1f, 1f, 1f);
      assertThat(Tf.fetch(s, pb)).containsExactly(0f, 0f, 0f, 1f, 1f, 1f);
    }
  }

  @Test
  void gatesRefuseModeNone() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      PruneOps prune = PruneOps.create(tf);
      Operand<TFloat32> theta = tf.constant(new float[] {0.5f});
      Operand<TInt32> batch = tf.constant(new int[] {2});
      assertThatThrownBy(() -> prune.gates.perExample(theta, batch, GateMode.NONE, 1))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NONE");
      assertThatThrownBy(() -> prune.gates.perBatch(theta, GateMode.NONE, 1))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NONE");
    }
  }

  @Test
  void projectionClipsToUnitIntervalAndMultipliesByMask() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      PruneOps prune = PruneOps.create(tf);
      Operand<TFloat32> theta = tf.constant(new float[] {-0.5f, 0f, 0.3f, 1f, 1.7f, 0.8f, 2f});
      Operand<TFloat32> mask = tf.constant(new float[] {1f, 1f, 1f, 1f, 1f, 0f, 0f});
      assertThat(Tf.fetch(s, prune.gates.project(theta, mask)))
          .containsExactly(0f, 0f, 0.3f, 1f, 1f, 0f, 0f);
    }
  }
}
