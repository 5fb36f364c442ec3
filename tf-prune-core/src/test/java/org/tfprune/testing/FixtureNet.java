package org.tfprune.testing;

import java.util.List;
import java.util.SplittableRandom;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.nn.FusedBatchNorm;
import org.tensorflow.types.TFloat32;

/** The graph being written, its variables and a random source for per-channel values. */
final class FixtureNet {
  final Graph g;
  final Ops tf;
  final ForeignModels.Params p;
  final SplittableRandom rng;

  FixtureNet(Graph g, long seed) {
    this.g = g;
    this.tf = Ops.create(g);
    this.p = new ForeignModels.Params(tf, seed);
    this.rng = new SplittableRandom(seed + 1000);
  }

  Operand<TFloat32> conv(Ops s, Operand<TFloat32> x, int k, int in, int out, int stride,
      String padding) {
    return s.nn.conv2d(x, p.he(s, "kernel", k * k * in, k, k, in, out),
        List.of(1L, (long) stride, (long) stride, 1L), padding);
  }

  Operand<TFloat32> dense(Ops s, Operand<TFloat32> x, int in, int out) {
    return s.nn.biasAdd(s.linalg.matMul(x, p.he(s, "kernel", in, in, out)),
        vector(s, "bias", out, -0.1f, 0.1f));
  }

  /** {@code n} values drawn uniformly from [lo, hi). */
  Operand<TFloat32> vector(Ops s, String name, int n, float lo, float hi) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (lo + (hi - lo) * rng.nextDouble());
    }
    return p.add(s, name, v, true, n);
  }

  /** Inference-mode batch norm (FusedBatchNormV3, or v1 when {@code v1}), epsilon 1e-3. */
  Operand<TFloat32> bn(Ops s, Operand<TFloat32> y, int n, boolean v1) {
    Operand<TFloat32> gamma = vector(s, "gamma", n, 0.5f, 1.5f);
    Operand<TFloat32> beta = vector(s, "beta", n, -0.5f, 0.5f);
    Operand<TFloat32> mean = vector(s, "moving_mean", n, -0.3f, 0.3f);
    Operand<TFloat32> variance = vector(s, "moving_variance", n, 0.5f, 2f);
    if (!v1) {
      return s.withName("FusedBatchNormV3").nn.fusedBatchNorm(y, gamma, beta, mean, variance,
          FusedBatchNorm.epsilon(1e-3f), FusedBatchNorm.isTraining(false)).y();
    }
    return g.<TFloat32>opBuilder("FusedBatchNorm", s.scope().makeOpName("FusedBatchNorm"),
            s.scope()).addInput(y.asOutput()).addInput(gamma.asOutput())
        .addInput(beta.asOutput()).addInput(mean.asOutput()).addInput(variance.asOutput())
        .setAttr("epsilon", 1e-3f).setAttr("is_training", false).build().output(0);
  }

  Operand<TFloat32> addV2(Ops s, Operand<TFloat32> a, Operand<TFloat32> b) {
    return g.<TFloat32>opBuilder("AddV2", s.scope().makeOpName("AddV2"), s.scope())
        .addInput(a.asOutput()).addInput(b.asOutput()).build().output(0);
  }
}
