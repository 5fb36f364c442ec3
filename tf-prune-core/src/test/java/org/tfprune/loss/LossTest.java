package org.tfprune.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
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
import org.tfprune.build.ParameterInitializer;
import org.tfprune.op.GateMode;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.GateGroup;
import org.tfprune.spec.InputSpec;
import org.tfprune.testing.Tf;

class LossTest {
  private static final ArchitectureSpec SPEC = ArchitectureSpec.of("loss-test",
      InputSpec.flat(5, true), DenseLayer.gatedRelu("hidden", 4), DenseLayer.logits("out", 3));
  private static final int BATCH = 6;
  private static final long N = 50;

  private static float[] batch() {
    float[] x = new float[BATCH * 5];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) Math.sin(1.7 * i + 0.3);
    }
    return x;
  }

  private static float[] oneHot() {
    float[] y = new float[BATCH * 3];
    for (int i = 0; i < BATCH; i++) {
      y[i * 3 + i % 3] = 1f;
    }
    return y;
  }

  /** Initial parameters with fractional theta, optionally all weights zero. */
  private static ParameterSet params(boolean zeroWeights) {
    ParameterSet p = ParameterInitializer.initialize(SPEC, 3, 1f);
    Map<String, HostTensor> m = new LinkedHashMap<>(p.asMap());
    m.put("input/theta", new HostTensor(new long[] {5}, new float[] {0.1f, 0.3f, 0.5f, 0.7f, 0.9f}));
    m.put("hidden/theta", new HostTensor(new long[] {4}, new float[] {0.2f, 0.4f, 0.6f, 0.8f}));
    if (zeroWeights) {
      m.replaceAll((k, v) -> k.endsWith("/theta") ? v : new HostTensor(v.shape(),
          new float[v.size()]));
    }
    return new ParameterSet(m);
  }

  /** Runs {@code fetches} on the tiny net's batch; returns each fetch's values. */
  private static List<float[]> run(Session s, NetworkGraph net, Placeholder<TFloat32> labels,
      Operand<?>... fetches) {
    try (TFloat32 x = Tf.tensor(batch(), BATCH, 5); TFloat32 y = Tf.tensor(oneHot(), BATCH, 3)) {
      Session.Runner r = s.runner().feed(net.input(), x).feed(labels, y);
      for (Operand<?> f : fetches) {
        r.fetch(f);
      }
      List<float[]> out = new ArrayList<>();
      try (Result res = r.run()) {
        for (int i = 0; i < fetches.length; i++) {
          out.add(Tf.values(res.get(i)));
        }
      }
      return out;
    }
  }

  private static Output<?>[] thetaGradients(Graph g, NetworkGraph net, Operand<TFloat32> y) {
    List<Output<?>> xs = new ArrayList<>();
    for (GateGroup gg : net.gateGroups()) {
      xs.add(net.theta(gg.name()).asOutput());
    }
    return g.addGradients(y.asOutput(), xs.toArray(new Output<?>[0]));
  }

  private static Placeholder<TFloat32> labels(Ops tf) {
    return tf.withName("labels").placeholder(TFloat32.class,
        Placeholder.shape(Shape.of(-1, 3)));
  }

  @Test
  void atStrengthZeroThePriorNeverPushesThetaDownAndThereIsNoComplexityTerm() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      NetworkGraph net = NetworkBuilder.build(tf, SPEC, true, 1);
      ForwardPass pass = net.forward(GateMode.SAMPLED, "train");
      Placeholder<TFloat32> labels = labels(tf);
      LossTerms t = new ComplexityAwareLoss(new PruningKnobs(0, 0.5, 0.5), N)
          .call(tf, net, pass.logits(), labels);
      Output<?>[] priorGrad = thetaGradients(g, net, t.prior());
      Output<?>[] cxGrad = thetaGradients(g, net, t.complexity());
      net.initialize(s, params(false));
      List<float[]> v = run(s, net, labels, t.complexity(), priorGrad[0], priorGrad[1],
          cxGrad[0], cxGrad[1]);
      assertThat(v.get(0)[0]).as("complexity term at strength 0").isZero();
      for (int i = 1; i <= 2; i++) {
        for (float d : v.get(i)) {
          assertThat(d).as("d prior / d theta at strength 0").isLessThanOrEqualTo(0f);
        }
      }
      for (int i = 3; i <= 4; i++) {
        assertThat(v.get(i)).as("d complexity / d theta at strength 0").containsOnly(0f);
      }
    }
  }

  @Test
  void theThetaPriceOfThePriorAppearsOnlyAboveStrengthZero() {
    // with all weights zero, the prior's energy vanishes: what remains is the price of theta
    for (double strength : new double[] {0, 1}) {
      try (Graph g = new Graph(); Session s = new Session(g)) {
        Ops tf = Ops.create(g);
        NetworkGraph net = NetworkBuilder.build(tf, SPEC, true, 1);
        ForwardPass pass = net.forward(GateMode.SAMPLED, "train");
        Placeholder<TFloat32> labels = labels(tf);
        LossTerms t = new ComplexityAwareLoss(new PruningKnobs(strength, 0.5, 0.5), N)
            .call(tf, net, pass.logits(), labels);
        Output<?>[] priorGrad = thetaGradients(g, net, t.prior());
        net.initialize(s, params(true));
        List<float[]> v = run(s, net, labels, priorGrad[0], priorGrad[1]);
        for (float[] grad : v) {
          for (float d : grad) {
            if (strength == 0) {
              assertThat(d).as("price gradient at strength 0").isZero();
            } else {
              assertThat(d).as("price gradient at strength 1 pushes theta down").isPositive();
            }
          }
        }
      }
    }
  }

  @Test
  void complexityTermGrowsWithStrengthAndPushesEveryThetaDown() {
    double previous = 0;
    for (double strength : new double[] {0.5, 1, 4}) {
      try (Graph g = new Graph(); Session s = new Session(g)) {
        Ops tf = Ops.create(g);
        NetworkGraph net = NetworkBuilder.build(tf, SPEC, true, 1);
        ForwardPass pass = net.forward(GateMode.SAMPLED, "train");
        Placeholder<TFloat32> labels = labels(tf);
        LossTerms t = new ComplexityAwareLoss(new PruningKnobs(strength, 0.5, 0.5), N)
            .call(tf, net, pass.logits(), labels);
        Output<?>[] grad = thetaGradients(g, net, t.complexity());
        net.initialize(s, params(false));
        List<float[]> v = run(s, net, labels, t.complexity(), grad[0], grad[1]);
        assertThat((double) v.get(0)[0]).as("complexity at strength %s", strength)
            .isGreaterThan(previous);
        previous = v.get(0)[0];
        for (int i = 1; i <= 2; i++) {
          for (float d : v.get(i)) {
            assertThat(d).as("d complexity / d theta at strength %s", strength).isPositive();
          }
        }
      }
    }
  }

  @Test
  void expectedComplexityOperandsEqualTheCountAtFullTheta() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      NetworkGraph net = NetworkBuilder.build(tf, SPEC, true, 1);
      ForwardPass pass = net.forward(GateMode.SAMPLED, "train");
      Placeholder<TFloat32> labels = labels(tf);
      LossTerms t = new ComplexityAwareLoss(PruningKnobs.defaults(), N)
          .call(tf, net, pass.logits(), labels);
      net.initialize(s, ParameterInitializer.initialize(SPEC, 3, 1f));
      List<float[]> v = run(s, net, labels, t.expectedMacs(), t.expectedParams());
      assertThat(v.get(0)[0]).isEqualTo(5 * 4 + 4 * 3);
      assertThat(v.get(1)[0]).isEqualTo(5 * 4 + 4 + 4 * 3 + 3);
    }
  }

  @Test
  void frozenStructuresReceiveNoThetaGradientFromThePriorOrTheComplexityCost() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      NetworkGraph net = NetworkBuilder.build(tf, SPEC, true, 1);
      ForwardPass pass = net.forward(GateMode.SAMPLED, "train");
      Placeholder<TFloat32> labels = labels(tf);
      LossTerms t = new ComplexityAwareLoss(PruningKnobs.defaults().withStrength(2), N)
          .call(tf, net, pass.logits(), labels);
      Operand<TFloat32> rest = tf.math.add(t.prior(), t.complexity());
      Output<?>[] grad = thetaGradients(g, net, rest);
      net.initialize(s, params(false));
      net.assign(s, Map.of("hidden/mask", new HostTensor(new long[] {4},
          new float[] {1f, 0f, 1f, 0f})));
      float[] gh = run(s, net, labels, grad[1]).get(0);
      assertThat(gh[1]).isZero();
      assertThat(gh[3]).isZero();
      assertThat(gh[0]).isNotZero();
      assertThat(gh[2]).isNotZero();
    }
  }

  /**
   * With the data term evaluated on fixed gates, J is affine in each theta separately:
   * J(theta_s = 0.3) = 0.7 J(theta_s = 0) + 0.3 J(theta_s = 1).
   */
  @Test
  void objectiveIsAffineInEachThetaWithFixedGates() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      NetworkGraph net = NetworkBuilder.build(tf, SPEC, true, 1);
      ForwardPass fixed = net.forward(GateMode.NONE, "fixed");
      Placeholder<TFloat32> labels = labels(tf);
      Map<String, Placeholder<TFloat32>> feeds = new LinkedHashMap<>();
      Map<String, Operand<TFloat32>> theta = new LinkedHashMap<>();
      for (GateGroup gg : SPEC.gateGroups()) {
        Placeholder<TFloat32> p = tf.withName("t_" + gg.name()).placeholder(TFloat32.class,
            Placeholder.shape(Shape.of(gg.size())));
        feeds.put(gg.name(), p);
        theta.put(gg.name(), p);
      }
      LossTerms t = new ComplexityAwareLoss(PruningKnobs.defaults().withStrength(2), N)
          .call(tf, net, fixed.logits(), labels, theta, 2);
      net.initialize(s, params(false));
      Map<String, float[]> base = new LinkedHashMap<>();
      base.put("input", new float[] {0.1f, 0.3f, 0.5f, 0.7f, 0.9f});
      base.put("hidden", new float[] {0.2f, 0.4f, 0.6f, 0.8f});
      int checked = 0;
      for (String group : base.keySet()) {
        for (int k = 0; k < base.get(group).length; k++) {
          double[] j = new double[3];
          float[] at = {0f, 1f, 0.3f};
          for (int a = 0; a < 3; a++) {
            Map<String, float[]> th = new LinkedHashMap<>();
            base.forEach((gk, gv) -> th.put(gk, gv.clone()));
            th.get(group)[k] = at[a];
            j[a] = objective(s, net, labels, feeds, th, t.total());
          }
          double interpolated = 0.7 * j[0] + 0.3 * j[1];
          assertThat(j[2]).as("J at theta_%s[%d] = 0.3", group, k)
              .isCloseTo(interpolated, within(1e-5 * Math.max(1, Math.abs(interpolated))));
          assertThat(j[0]).as("theta_%s[%d] matters", group, k).isNotEqualTo(j[1]);
          checked++;
        }
      }
      assertThat(checked).isEqualTo(9);
    }
  }

  private static double objective(Session s, NetworkGraph net, Placeholder<TFloat32> labels,
      Map<String, Placeholder<TFloat32>> feeds, Map<String, float[]> theta,
      Operand<TFloat32> total) {
    try (TFloat32 x = Tf.tensor(batch(), BATCH, 5); TFloat32 y = Tf.tensor(oneHot(), BATCH, 3);
        TFloat32 tIn = Tf.tensor(theta.get("input"), 5);
        TFloat32 tHidden = Tf.tensor(theta.get("hidden"), 4);
        Result res = s.runner().feed(net.input(), x).feed(labels, y)
            .feed(feeds.get("input"), tIn).feed(feeds.get("hidden"), tHidden).fetch(total).run()) {
      return Tf.values(res.get(0))[0];
    }
  }

  /**
   * The prior's weight gradient is not carried by autodiff of {@code total} (its norms are under
   * stopGradient) but returned as {@link LossTerms#weightGradients()}. Whatever the split, the
   * weight gradient of {@code total} beyond the data term (autodiff of total minus autodiff of the
   * data term, plus the analytic part) must equal the derivative of the prior's value, checked by
   * central differences (exact for the quadratic prior).
   */
  @Test
  void priorWeightGradientMatchesFiniteDifferenceOfThePrior() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      NetworkGraph net = NetworkBuilder.build(tf, SPEC, true, 1);
      ForwardPass fixed = net.forward(GateMode.NONE, "fixed");
      Placeholder<TFloat32> labels = labels(tf);
      LossTerms t = new ComplexityAwareLoss(PruningKnobs.defaults(), N)
          .call(tf, net, fixed.logits(), labels);
      String[] names = {"hidden/kernel", "hidden/bias", "out/kernel", "out/bias"};
      Output<?>[] xs = new Output<?>[names.length];
      for (int i = 0; i < names.length; i++) {
        xs[i] = net.variable(names[i]).asOutput();
      }
      Output<?>[] autoTotal = g.addGradients(t.total().asOutput(), xs);
      Output<?>[] autoData = g.addGradients(t.data().asOutput(), xs);
      ParameterSet p = params(false);
      Map<String, HostTensor> m = new LinkedHashMap<>(p.asMap());
      m.put("hidden/bias", new HostTensor(new long[] {4}, new float[] {0.3f, -0.2f, 0.1f, 0.4f}));
      p = new ParameterSet(m);
      net.initialize(s, p);
      int checked = 0;
      double largest = 0;
      for (int i = 0; i < names.length; i++) {
        Operand<TFloat32> analytic = t.weightGradients().get(names[i]);
        float[] a = run(s, net, labels, autoTotal[i]).get(0);
        float[] d = run(s, net, labels, autoData[i]).get(0);
        float[] b = analytic == null ? new float[a.length] : run(s, net, labels, analytic).get(0);
        HostTensor w = p.get(names[i]);
        for (int e = 0; e < w.size(); e += Math.max(1, w.size() / 4)) {
          double h = 1e-2;
          double up = priorWith(s, net, labels, t.prior(), names[i], w, e, h);
          double down = priorWith(s, net, labels, t.prior(), names[i], w, e, -h);
          double fd = (up - down) / (2 * h);
          double grad = (double) a[e] - d[e] + b[e];
          assertThat(grad).as("d prior / d %s[%d] (autodiff beyond data %s, analytic %s)",
              names[i], e, a[e] - d[e], b[e]).isCloseTo(fd, within(2e-3 + 1e-3 * Math.abs(fd)));
          largest = Math.max(largest, Math.abs(fd));
          checked++;
        }
        net.assign(s, Map.of(names[i], w));
      }
      assertThat(checked).isGreaterThanOrEqualTo(12);
      assertThat(largest).as("the prior has a weight gradient to check").isGreaterThan(0.1);
    }
  }

  private static double priorWith(Session s, NetworkGraph net, Placeholder<TFloat32> labels,
      Operand<TFloat32> prior, String name, HostTensor w, int entry, double delta) {
    float[] v = w.values();
    v[entry] += (float) delta;
    net.assign(s, Map.of(name, new HostTensor(w.shape(), v)));
    return run(s, net, labels, prior).get(0)[0];
  }

  @Test
  void knobsRejectOutOfRangeValuesNamingTheKnobAndItsRange() {
    assertThatThrownBy(() -> new PruningKnobs(-1, 0.5, 0.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("strength").hasMessageContaining("[0, ").hasMessageContaining("-1");
    assertThatThrownBy(() -> new PruningKnobs(Double.NaN, 0.5, 0.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("strength").hasMessageContaining("[0, ").hasMessageContaining("NaN");
    assertThatThrownBy(() -> new PruningKnobs(Double.POSITIVE_INFINITY, 0.5, 0.5))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("strength");
    assertThatThrownBy(() -> new PruningKnobs(1, 1.5, 0.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("flopsShare").hasMessageContaining("[0, 1]")
        .hasMessageContaining("1.5");
    assertThatThrownBy(() -> new PruningKnobs(1, Double.NaN, 0.5))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("flopsShare");
    assertThatThrownBy(() -> new PruningKnobs(1, 0.5, -0.1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("layerShare").hasMessageContaining("[0, 1]")
        .hasMessageContaining("-0.1");
    assertThatThrownBy(() -> new PruningKnobs(1, 0.5, Double.NaN))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("layerShare");
  }

  @Test
  void knobsAcceptTheirRangeEnds() {
    assertThat(new PruningKnobs(0, 0, 0).strength()).isZero();
    assertThat(new PruningKnobs(4, 1, 1).flopsShare()).isEqualTo(1);
    assertThat(PruningKnobs.defaults().withStrength(3).strength()).isEqualTo(3);
  }

  @Test
  void lossRejectsAnEmptyTrainingSet() {
    assertThatThrownBy(() -> new ComplexityAwareLoss(PruningKnobs.defaults(), 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("training set");
  }
}
