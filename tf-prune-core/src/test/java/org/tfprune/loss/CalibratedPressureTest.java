package org.tfprune.loss;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
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
import org.tfprune.spec.InputSpec;
import org.tfprune.testing.Tf;

/**
 * The calibrated pressure: the gradient that pushes every gate shut grows with the strength
 * (so a larger strength never leaves a gate more reason to stay open), and the complexity
 * weight follows the network's cost structure.
 */
class CalibratedPressureTest {
  private static final ArchitectureSpec MLP = ArchitectureSpec.of("mlp",
      InputSpec.flat(6, true), DenseLayer.gatedRelu("hidden", 5), DenseLayer.logits("out", 3));

  /** The regulariser's (prior + complexity) gradient per theta at {@code strength}. */
  private static Map<String, float[]> pressure(double strength) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      NetworkGraph net = NetworkBuilder.build(tf, MLP, true, 1);
      ForwardPass pass = net.forward(GateMode.SAMPLED, "train");
      Placeholder<TFloat32> labels = tf.withName("labels").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 3)));
      Placeholder<TFloat32> strengthFeed = tf.withName("strength").placeholder(TFloat32.class,
          Placeholder.shape(Shape.scalar()));
      LossTerms t = new ComplexityAwareLoss(PruningKnobs.defaults(), 1000).call(tf, net,
          pass.logits(), labels, ComplexityAwareLoss.effectiveThetas(net), strengthFeed,
          TensorCache.NONE);
      Output<?>[] grads = g.addGradients(tf.math.add(t.prior(), t.complexity()).asOutput(),
          new Output<?>[] {net.theta("input").asOutput(), net.theta("hidden").asOutput()});
      Map<String, HostTensor> p = new LinkedHashMap<>(
          ParameterInitializer.initialize(MLP, 3, 1f).asMap());
      p.put("input/theta", new HostTensor(new long[] {6},
          new float[] {1f, 0.9f, 0.5f, 0.2f, 0.05f, 0f}));
      p.put("hidden/theta", new HostTensor(new long[] {5}, new float[] {1f, 0.7f, 0.4f, 0.1f, 0f}));
      net.initialize(s, new ParameterSet(p));
      try (TFloat32 x = Tf.tensor(new float[12], 2, 6);
          TFloat32 y = Tf.tensor(new float[] {1, 0, 0, 0, 1, 0}, 2, 3);
          TFloat32 st = TFloat32.scalarOf((float) strength);
          Result r = s.runner().feed(net.input(), x).feed(labels, y).feed(strengthFeed, st)
              .fetch(grads[0]).fetch(grads[1]).run()) {
        return Map.of("input", Tf.values(r.get(0)), "hidden", Tf.values(r.get(1)));
      }
    }
  }

  @Test
  void pushOnEveryGateGrowsWithStrength() {
    double[] strengths = {0, 0.25, 0.5, 1, 2, 4};
    Map<String, float[]> before = pressure(strengths[0]);
    for (int k = 1; k < strengths.length; k++) {
      Map<String, float[]> now = pressure(strengths[k]);
      for (String group : now.keySet()) {
        for (int i = 0; i < now.get(group).length; i++) {
          // d(objective)/d(theta): larger means a stronger push towards 0
          assertThat(now.get(group)[i]).as("%s[%s] at strength %s", group, i, strengths[k])
              .isGreaterThan(before.get(group)[i]);
        }
      }
      before = now;
    }
  }

  @Test
  void complexityWeightGrowsWithTheEffectiveNumberOfGatedLayers() {
    // one gated layer holds all the cost: L_eff 1; two equal layers: L_eff about 2
    ArchitectureSpec one = ArchitectureSpec.of("one", InputSpec.flat(100, false),
        DenseLayer.gatedRelu("a", 50), DenseLayer.logits("out", 1));
    ArchitectureSpec two = ArchitectureSpec.of("two", InputSpec.flat(100, false),
        DenseLayer.gatedRelu("a", 50), DenseLayer.gatedRelu("b", 50), DenseLayer.logits("out", 1));
    PressureCalibration c1 = PressureCalibration.of(one, 1.0);
    PressureCalibration c2 = PressureCalibration.of(two, 1.0);
    // a: 100*50 + 50*1 MACs, closing all of it removes all: F = 1 exactly
    assertThat(c1.effectiveLayers()).isEqualTo(1.0);
    assertThat(c1.complexityWeight()).isEqualTo(PressureCalibration.WEIGHT_PER_LAYER);
    // a: 5000 + 2500 of 7550, b: 2500 + 50 of 7550; F_a = 7500/7550, F_b = 2550/7550
    double fa = 7500.0 / 7550;
    double fb = 2550.0 / 7550;
    assertThat(c2.effectiveLayers()).isCloseTo((fa + fb) * (fa + fb) / (fa * fa + fb * fb),
        org.assertj.core.data.Offset.offset(1e-12));
  }
}
