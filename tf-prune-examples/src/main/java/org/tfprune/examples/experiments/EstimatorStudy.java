package org.tfprune.examples.experiments;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tfprune.build.NetworkBuilder;
import org.tfprune.build.NetworkGraph;
import org.tfprune.build.ParameterInitializer;
import org.tfprune.loss.ComplexityAwareLoss;
import org.tfprune.loss.GateEnumeration;
import org.tfprune.loss.PruningKnobs;
import org.tfprune.op.GateMode;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.InputSpec;

/**
 * The straight-through estimate of theta's gradient against the exact gradient, on a tiny gated
 * network built by the product's own builder and loss (3 gated inputs, 3 gated ReLU units, 2
 * logits: 6 gates, 64 gate states). The exact gradient of the expected data loss is
 * {@code E[L | xi_k = 1] - E[L | xi_k = 0]}, computed by {@link GateEnumeration} from the loss of
 * the deterministic network in every state; the estimator is sampled as in training (unit gates
 * per example, input gates per batch) many times at a fixed theta. The prior and complexity
 * terms are exact and not part of this study.
 */
final class EstimatorStudy {
  static final ArchitectureSpec SPEC = ArchitectureSpec.of("estimator-tiny",
      InputSpec.flat(3, true), DenseLayer.gatedRelu("hidden", 3), DenseLayer.logits("out", 2));
  static final List<String> GATE_NAMES = List.of("input[0]", "input[1]", "input[2]",
      "hidden[0]", "hidden[1]", "hidden[2]");
  private static final int GATES = 6;

  private EstimatorStudy() {}

  /**
   * One gate's gradient: exact, and the estimator's mean, standard error of that mean, and
   * standard deviation of a single estimate.
   */
  record GateEstimate(String gate, double theta, double exact, double mean,
      double standardError, double std) {
    double bias() {
      return mean - exact;
    }
  }

  /** The estimates of one random tiny network. */
  record NetworkEstimate(long seed, ImmutableList<GateEstimate> gates) {
    /** Cosine between the estimator's mean and the exact gradient. */
    double cosine() {
      double ab = 0;
      double aa = 0;
      double bb = 0;
      for (GateEstimate g : gates) {
        ab += g.mean() * g.exact();
        aa += g.mean() * g.mean();
        bb += g.exact() * g.exact();
      }
      return ab / Math.sqrt(aa * bb);
    }

    /** Share of the gates with a large exact gradient (>= 25% of the largest) whose sign agrees. */
    double signAgreement() {
      double big = 0.25 * gates.stream().mapToDouble(g -> Math.abs(g.exact())).max().orElse(0);
      List<GateEstimate> large = gates.stream().filter(g -> Math.abs(g.exact()) >= big).toList();
      return (double) large.stream().filter(g -> Math.signum(g.mean()) == Math.signum(g.exact()))
          .count() / large.size();
    }

    /** Norm of the bias over norm of the exact gradient. */
    double relativeBias() {
      return norm(gates.stream().mapToDouble(GateEstimate::bias).toArray())
          / norm(gates.stream().mapToDouble(GateEstimate::exact).toArray());
    }

    /** Root-mean-square standard deviation of one estimate over norm of the exact gradient. */
    double relativeStd() {
      return norm(gates.stream().mapToDouble(GateEstimate::std).toArray())
          / norm(gates.stream().mapToDouble(GateEstimate::exact).toArray());
    }

    private static double norm(double[] v) {
      double s = 0;
      for (double x : v) {
        s += x * x;
      }
      return Math.sqrt(s);
    }
  }

  /**
   * Measures one random tiny network: He-initialized weights, theta uniform in [0.2, 0.9], a
   * batch of Gaussian inputs labelled by a random linear teacher, all drawn from {@code seed}.
   */
  static NetworkEstimate measure(long seed, int batch, int samples) {
    checkArgument(batch > 0 && samples > 1, "need a batch and at least two samples");
    Random rng = new Random(seed * 1_000_003 + 11);
    double[] theta = new double[GATES];
    for (int k = 0; k < GATES; k++) {
      theta[k] = 0.2 + 0.7 * rng.nextDouble();
    }
    float[] x = new float[batch * 3];
    float[] y = new float[batch * 2];
    double[] teacher = {rng.nextDouble() - 0.5, rng.nextDouble() - 0.5, rng.nextDouble() - 0.5};
    for (int i = 0; i < batch; i++) {
      double score = 0;
      for (int j = 0; j < 3; j++) {
        x[i * 3 + j] = (float) rng.nextGaussian();
        score += teacher[j] * x[i * 3 + j];
      }
      y[i * 2 + (score > 0 ? 1 : 0)] = 1f;
    }
    try (Graph g = new Graph(); Session s = new Session(g);
        TFloat32 xt = TFloat32.tensorOf(Shape.of(batch, 3), DataBuffers.of(x, true, false));
        TFloat32 yt = TFloat32.tensorOf(Shape.of(batch, 2), DataBuffers.of(y, true, false))) {
      Ops tf = Ops.create(g);
      NetworkGraph net = NetworkBuilder.build(tf, SPEC, true, seed);
      Placeholder<TFloat32> labels = tf.withName("labels").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 2)));
      ComplexityAwareLoss loss = new ComplexityAwareLoss(new PruningKnobs(0, 0.5, 0.5), batch);
      Operand<TFloat32> sampled = loss.call(tf.withSubScope("sampled"), net,
          net.forward(GateMode.SAMPLED, "sampled").logits(), labels).data();
      Operand<TFloat32> exactPass = loss.call(tf.withSubScope("deterministic"), net,
          net.forward(GateMode.DETERMINISTIC, "deterministic").logits(), labels).data();
      Output<?>[] grads = g.addGradients(sampled.asOutput(), new Output<?>[] {
          net.theta("input").asOutput(), net.theta("hidden").asOutput()});
      net.initialize(s, ParameterInitializer.initialize(SPEC, seed, 1f));

      double[] perState = new double[GateEnumeration.states(GATES)];
      for (int st = 0; st < perState.length; st++) {
        net.assign(s, thetaValues(GateEnumeration.gateValues(st, GATES)));
        try (Result r = s.runner().feed(net.input(), xt).feed(labels, yt).fetch(exactPass)
            .run()) {
          perState[st] = ((TFloat32) r.get(0)).getFloat();
        }
      }
      double[] exact = GateEnumeration.exactGradient(perState, theta);

      net.assign(s, thetaValues(theta));
      double[] sum = new double[GATES];
      double[] sumSq = new double[GATES];
      for (int n = 0; n < samples; n++) {
        try (Result r = s.runner().feed(net.input(), xt).feed(labels, yt).fetch(grads[0])
            .fetch(grads[1]).run()) {
          float[] in = HostTensor.of((TFloat32) r.get(0)).values();
          float[] hidden = HostTensor.of((TFloat32) r.get(1)).values();
          for (int k = 0; k < GATES; k++) {
            double v = k < 3 ? in[k] : hidden[k - 3];
            sum[k] += v;
            sumSq[k] += v * v;
          }
        }
      }
      ImmutableList.Builder<GateEstimate> out = ImmutableList.builder();
      for (int k = 0; k < GATES; k++) {
        double mean = sum[k] / samples;
        double var = Math.max(0, (sumSq[k] - samples * mean * mean) / (samples - 1));
        out.add(new GateEstimate(GATE_NAMES.get(k), theta[k], exact[k], mean,
            Math.sqrt(var / samples), Math.sqrt(var)));
      }
      return new NetworkEstimate(seed, out.build());
    }
  }

  private static Map<String, HostTensor> thetaValues(double[] t) {
    Map<String, HostTensor> m = new LinkedHashMap<>();
    m.put(ParameterSet.key("input", ParameterSet.THETA), new HostTensor(new long[] {3},
        new float[] {(float) t[0], (float) t[1], (float) t[2]}));
    m.put(ParameterSet.key("hidden", ParameterSet.THETA), new HostTensor(new long[] {3},
        new float[] {(float) t[3], (float) t[4], (float) t[5]}));
    return m;
  }
}
