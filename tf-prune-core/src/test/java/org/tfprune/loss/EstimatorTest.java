package org.tfprune.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.tfprune.loss.GateEnumeration.bit;
import static org.tfprune.loss.GateEnumeration.expectation;
import static org.tfprune.loss.GateEnumeration.exactGradient;
import static org.tfprune.loss.GateEnumeration.probability;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tfprune.build.ForwardPass;
import org.tfprune.build.NetworkBuilder;
import org.tfprune.build.NetworkGraph;
import org.tfprune.op.GateMode;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.InputSpec;
import org.tfprune.testing.Tf;

/**
 * The straight-through estimator of the theta gradient against the exact gradient of the expected
 * objective, computed by enumerating all 2^6 gate states of a tiny network (3 gated inputs, 3 gated
 * ReLU units, 2 logits). The network is the one {@link NetworkBuilder} builds, so the estimator
 * under test is the trainer's: unit gates sampled per example, input gates once per batch. Both
 * give the same expected gradient of the mean loss (expectation is linear and every example's
 * gates have the same Bernoulli marginals), so the enumeration over one set of 6 gates is exact
 * for any batch.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EstimatorTest {
  private static final ArchitectureSpec SPEC = ArchitectureSpec.of("tiny",
      InputSpec.flat(3, true), DenseLayer.gatedRelu("hidden", 3), DenseLayer.logits("out", 2));
  private static final int GATES = 6;
  private static final int STATES = 1 << GATES;
  private static final float[][] X = {
      {1.0f, -0.5f, 0.8f}, {0.3f, 0.9f, -0.7f}, {-0.6f, 0.4f, 1.1f}, {0.7f, 0.2f, 0.5f}};
  private static final int[] Y = {0, 1, 1, 0};
  private static final float[][] W1 = {
      {0.8f, -0.6f, 0.5f}, {-0.4f, 0.9f, 0.3f}, {0.6f, 0.2f, -0.8f}};
  private static final float[] B1 = {0.1f, 0.2f, 0.15f};
  private static final float[][] W2 = {{1.2f, -0.9f}, {-1.0f, 0.8f}, {0.7f, -0.5f}};
  private static final float[] B2 = {0.05f, -0.05f};
  /** Keep probabilities: 3 input gates then 3 unit gates. */
  private static final double[] THETA = {0.3, 0.6, 0.8, 0.5, 0.7, 0.4};
  private static final int REPEAT = 250;
  private static final int RUNS = 3000;
  private static final long N = 20;

  private double[] exactData;
  private double[] expectedSte;
  private double[] mcSte;
  private double[] mcSe;
  private double[] exactRest;
  private double[] graphRest;
  private double restAtTheta;
  private double restExpectation;
  private double[] ceGraph = new double[STATES];

  @BeforeAll
  void measure() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      NetworkGraph net = NetworkBuilder.build(tf, SPEC, true, 17);
      ForwardPass sampled = net.forward(GateMode.SAMPLED, "train");
      ForwardPass det = net.forward(GateMode.DETERMINISTIC, "det");
      Placeholder<TFloat32> labels = tf.withName("labels").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 2)));
      ComplexityAwareLoss loss = new ComplexityAwareLoss(new PruningKnobs(2, 0.5, 0.5), N);
      LossTerms train = loss.call(tf.withSubScope("sampled"), net, sampled.logits(), labels);
      LossTerms detTerms = loss.call(tf.withSubScope("det"), net, det.logits(), labels);
      Output<?>[] thetas = {net.theta("input").asOutput(), net.theta("hidden").asOutput()};
      Output<?>[] dData = g.addGradients(train.data().asOutput(), thetas);
      Operand<TFloat32> rest = tf.math.sub(train.total(), train.data());
      Output<?>[] dRest = g.addGradients(rest.asOutput(), thetas);
      Operand<TFloat32> detRest = tf.math.sub(detTerms.total(), detTerms.data());
      net.initialize(s, params(THETA));

      // per-state data loss and non-data part of the objective, from the graph itself
      double[] restState = new double[STATES];
      for (int st = 0; st < STATES; st++) {
        double[] bin = new double[GATES];
        for (int k = 0; k < GATES; k++) {
          bin[k] = bit(st, k);
        }
        net.assign(s, thetaValues(bin));
        float[][] v = run(s, net, labels, 1, detTerms.data(), detRest);
        ceGraph[st] = v[0][0];
        restState[st] = v[1][0];
      }
      exactData = exactGradient(ceGraph, THETA);
      exactRest = exactGradient(restState, THETA);
      restExpectation = expectation(restState, THETA);

      // the analytic parts and the Monte-Carlo mean of the sampled (straight-through) gradient
      net.assign(s, thetaValues(THETA));
      float[][] r0 = run(s, net, labels, 1, rest, dRest[0], dRest[1]);
      restAtTheta = r0[0][0];
      graphRest = Tf.toDouble(concat(r0[1], r0[2]));
      double[] sum = new double[GATES];
      double[] sumSq = new double[GATES];
      try (TFloat32 x = Tf.tensor(repeated(xFlat(), REPEAT), (long) X.length * REPEAT, 3);
          TFloat32 y = Tf.tensor(repeated(yFlat(), REPEAT), (long) X.length * REPEAT, 2)) {
        for (int run = 0; run < RUNS; run++) {
          try (Result res = s.runner().feed(net.input(), x).feed(labels, y).fetch(dData[0])
              .fetch(dData[1]).run()) {
            double[] gr = Tf.toDouble(concat(Tf.values(res.get(0)), Tf.values(res.get(1))));
            for (int k = 0; k < GATES; k++) {
              sum[k] += gr[k];
              sumSq[k] += gr[k] * gr[k];
            }
          }
        }
      }
      mcSte = new double[GATES];
      mcSe = new double[GATES];
      for (int k = 0; k < GATES; k++) {
        mcSte[k] = sum[k] / RUNS;
        double var = (sumSq[k] - RUNS * mcSte[k] * mcSte[k]) / (RUNS - 1);
        mcSe[k] = Math.sqrt(Math.max(var, 0) / RUNS);
      }
    }
    expectedSte = hostExpectedSte(THETA);
    StringBuilder b = new StringBuilder("EstimatorTest: STE bias per theta (data term)\n");
    String[] names = {"input[0]", "input[1]", "input[2]", "hidden[0]", "hidden[1]", "hidden[2]"};
    for (int k = 0; k < GATES; k++) {
      b.append(String.format(Locale.ROOT, "  %-9s theta=%.2f exact=%+.5f E[STE]=%+.5f "
              + "bias=%+.5f (%+.0f%%)  MC=%+.5f +- %.5f%n", names[k], THETA[k], exactData[k],
          expectedSte[k], expectedSte[k] - exactData[k],
          100 * (expectedSte[k] - exactData[k]) / Math.abs(exactData[k]), mcSte[k], mcSe[k]));
    }
    b.append(String.format(Locale.ROOT, "  cosine(E[STE], exact)=%.4f cosine(MC, exact)=%.4f%n",
        cosine(expectedSte, exactData), cosine(mcSte, exactData)));
    System.out.print(b);
  }

  @Test
  void enumeratedGradientMatchesFiniteDifferenceOfTheExactExpectation() {
    double h = 1e-4;
    for (int k = 0; k < GATES; k++) {
      double[] up = THETA.clone();
      double[] down = THETA.clone();
      up[k] += h;
      down[k] -= h;
      double fd = (expectation(ceGraph, up) - expectation(ceGraph, down)) / (2 * h);
      assertThat(exactData[k]).as("gate %d", k).isCloseTo(fd, within(1e-7));
    }
    // and the host model used for the expected STE reproduces the graph's per-state losses
    for (int st = 0; st < STATES; st++) {
      assertThat(hostLossAndGrad(st)[0]).as("state %d", st).isCloseTo(ceGraph[st], within(1e-5));
    }
  }

  @Test
  void priorAndComplexityPartsAreExact() {
    assertThat(restAtTheta).as("non-data objective at fractional theta = its expectation")
        .isCloseTo(restExpectation, within(1e-4 * Math.abs(restExpectation)));
    double scale = maxAbs(exactRest);
    for (int k = 0; k < GATES; k++) {
      assertThat(graphRest[k]).as("d(prior + complexity)/d theta_%d", k)
          .isCloseTo(exactRest[k], within(1e-4 * scale));
    }
  }

  @Test
  void sampledGradientAveragesToTheExpectedStraightThroughGradient() {
    for (int k = 0; k < GATES; k++) {
      assertThat(mcSte[k]).as("MC mean of the sampled gradient, gate %d", k)
          .isCloseTo(expectedSte[k], within(5 * mcSe[k] + 1e-5));
    }
  }

  @Test
  void straightThroughGradientPointsLikeTheExactGradient() {
    assertThat(cosine(mcSte, exactData)).isGreaterThan(0.8);
    assertThat(cosine(expectedSte, exactData)).isGreaterThan(0.8);
    double big = 0.25 * maxAbs(exactData);
    int compared = 0;
    for (int k = 0; k < GATES; k++) {
      if (Math.abs(exactData[k]) >= big) {
        assertThat(Math.signum(mcSte[k])).as("sign of gate %d", k)
            .isEqualTo(Math.signum(exactData[k]));
        assertThat(Math.signum(expectedSte[k])).as("sign of gate %d", k)
            .isEqualTo(Math.signum(exactData[k]));
        compared++;
      }
    }
    assertThat(compared).isGreaterThanOrEqualTo(2);
  }

  // ---------------------------------------------------------------- enumeration helpers

  /** E over gate states of the straight-through gradient d(mean CE)/dz at z = xi. */
  private static double[] hostExpectedSte(double[] theta) {
    double[] e = new double[GATES];
    for (int st = 0; st < STATES; st++) {
      double p = probability(st, theta);
      double[] lg = hostLossAndGrad(st);
      for (int k = 0; k < GATES; k++) {
        e[k] += p * lg[1 + k];
      }
    }
    return e;
  }

  /** Mean CE over the batch at gate state {@code st} and its derivatives w.r.t. the 6 gates. */
  private static double[] hostLossAndGrad(int st) {
    double[] a = {bit(st, 0), bit(st, 1), bit(st, 2)};
    double[] gate = {bit(st, 3), bit(st, 4), bit(st, 5)};
    double[] out = new double[1 + GATES];
    for (int i = 0; i < X.length; i++) {
      double[] pre = new double[3];
      double[] r = new double[3];
      for (int j = 0; j < 3; j++) {
        pre[j] = B1[j];
        for (int k = 0; k < 3; k++) {
          pre[j] += X[i][k] * a[k] * W1[k][j];
        }
        r[j] = Math.max(pre[j], 0);
      }
      double[] logit = new double[2];
      for (int c = 0; c < 2; c++) {
        logit[c] = B2[c];
        for (int j = 0; j < 3; j++) {
          logit[c] += r[j] * gate[j] * W2[j][c];
        }
      }
      double m = Math.max(logit[0], logit[1]);
      double z = Math.exp(logit[0] - m) + Math.exp(logit[1] - m);
      double[] delta = new double[2];
      for (int c = 0; c < 2; c++) {
        delta[c] = Math.exp(logit[c] - m) / z - (Y[i] == c ? 1 : 0);
      }
      out[0] += (m + Math.log(z) - logit[Y[i]]) / X.length;
      for (int j = 0; j < 3; j++) {
        double dh = delta[0] * W2[j][0] + delta[1] * W2[j][1];
        out[1 + 3 + j] += dh * r[j] / X.length;
        double dpre = pre[j] > 0 ? dh * gate[j] : 0;
        for (int k = 0; k < 3; k++) {
          out[1 + k] += dpre * X[i][k] * W1[k][j] / X.length;
        }
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- graph helpers

  private static ParameterSet params(double[] theta) {
    Map<String, HostTensor> m = new LinkedHashMap<>();
    m.put("hidden/kernel", new HostTensor(new long[] {3, 3}, flat(W1)));
    m.put("hidden/bias", new HostTensor(new long[] {3}, B1));
    m.put("out/kernel", new HostTensor(new long[] {3, 2}, flat(W2)));
    m.put("out/bias", new HostTensor(new long[] {2}, B2));
    m.putAll(thetaValues(theta));
    return new ParameterSet(m);
  }

  private static Map<String, HostTensor> thetaValues(double[] theta) {
    float[] in = {(float) theta[0], (float) theta[1], (float) theta[2]};
    float[] h = {(float) theta[3], (float) theta[4], (float) theta[5]};
    return Map.of("input/theta", new HostTensor(new long[] {3}, in),
        "hidden/theta", new HostTensor(new long[] {3}, h));
  }

  private static float[][] run(Session s, NetworkGraph net, Placeholder<TFloat32> labels,
      int repeat, Operand<?>... fetches) {
    try (TFloat32 x = Tf.tensor(repeated(xFlat(), repeat), (long) X.length * repeat, 3);
        TFloat32 y = Tf.tensor(repeated(yFlat(), repeat), (long) X.length * repeat, 2)) {
      Session.Runner r = s.runner().feed(net.input(), x).feed(labels, y);
      for (Operand<?> f : fetches) {
        r.fetch(f);
      }
      try (Result res = r.run()) {
        float[][] out = new float[fetches.length][];
        for (int i = 0; i < fetches.length; i++) {
          out[i] = Tf.values(res.get(i));
        }
        return out;
      }
    }
  }

  private static float[] xFlat() {
    return flat(X);
  }

  private static float[] yFlat() {
    float[] y = new float[Y.length * 2];
    for (int i = 0; i < Y.length; i++) {
      y[i * 2 + Y[i]] = 1f;
    }
    return y;
  }

  private static float[] flat(float[][] m) {
    List<Float> l = new ArrayList<>();
    for (float[] row : m) {
      for (float v : row) {
        l.add(v);
      }
    }
    float[] f = new float[l.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = l.get(i);
    }
    return f;
  }

  private static float[] repeated(float[] v, int times) {
    float[] r = new float[v.length * times];
    for (int t = 0; t < times; t++) {
      System.arraycopy(v, 0, r, t * v.length, v.length);
    }
    return r;
  }

  private static float[] concat(float[] a, float[] b) {
    float[] c = new float[a.length + b.length];
    System.arraycopy(a, 0, c, 0, a.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  private static double cosine(double[] a, double[] b) {
    double ab = 0;
    double aa = 0;
    double bb = 0;
    for (int i = 0; i < a.length; i++) {
      ab += a[i] * b[i];
      aa += a[i] * a[i];
      bb += b[i] * b[i];
    }
    return ab / Math.sqrt(aa * bb);
  }

  private static double maxAbs(double[] v) {
    double m = 0;
    for (double x : v) {
      m = Math.max(m, Math.abs(x));
    }
    return m;
  }
}
