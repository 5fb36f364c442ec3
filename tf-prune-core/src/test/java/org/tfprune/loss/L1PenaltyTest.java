package org.tfprune.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

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
 * The L1 penalty kind replaces the prior and the complexity cost by {@code strength * c * K *
 * mean(theta)}: the same push on every gate, whatever it costs, and no prior.
 */
class L1PenaltyTest {
  private static final ArchitectureSpec SPEC = ArchitectureSpec.of("l1-test",
      InputSpec.flat(5, true), DenseLayer.gatedRelu("hidden", 4), DenseLayer.logits("out", 3));

  @Test
  void l1PenaltyIsTheMeanThetaScaledByStrengthAndPushesEveryGateAlike() {
    double strength = 0.7;
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      NetworkGraph net = NetworkBuilder.build(tf, SPEC, true, 1);
      ForwardPass pass = net.forward(GateMode.SAMPLED, "train");
      Placeholder<TFloat32> labels = tf.withName("labels").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 3)));
      PruningKnobs knobs = new PruningKnobs(strength, 0.5, 0.5).withPenalty(PenaltyKind.L1);
      LossTerms t = new ComplexityAwareLoss(knobs, 50).call(tf, net, pass.logits(), labels);
      Output<?>[] grads = g.addGradients(t.complexity().asOutput(),
          new Output<?>[] {net.theta("input").asOutput(), net.theta("hidden").asOutput()});
      Map<String, HostTensor> p = new LinkedHashMap<>(
          ParameterInitializer.initialize(SPEC, 3, 1f).asMap());
      float[] in = {0.1f, 0.3f, 0.5f, 0.7f, 0.9f};
      float[] hidden = {0.2f, 0.4f, 0.6f, 0.8f};
      p.put("input/theta", new HostTensor(new long[] {5}, in));
      p.put("hidden/theta", new HostTensor(new long[] {4}, hidden));
      net.initialize(s, new ParameterSet(p));
      try (TFloat32 x = Tf.tensor(new float[10], 2, 5); TFloat32 y = Tf.tensor(
          new float[] {1, 0, 0, 0, 1, 0}, 2, 3);
          Result r = s.runner().feed(net.input(), x).feed(labels, y).fetch(t.prior())
              .fetch(t.complexity()).fetch(grads[0]).fetch(grads[1]).run()) {
        double scale = strength * ComplexityAwareLoss.PRESSURE_SCALE
            * ComplexityAwareLoss.COMPLEXITY_WEIGHT / 9;
        assertThat(Tf.values(r.get(0))[0]).as("no prior").isZero();
        assertThat((double) Tf.values(r.get(1))[0]).isCloseTo(scale * (2.5 + 2.0),
            within(1e-5));
        for (float d : Tf.values(r.get(2))) {
          assertThat((double) d).isCloseTo(scale, within(1e-6));
        }
        for (float d : Tf.values(r.get(3))) {
          assertThat((double) d).isCloseTo(scale, within(1e-6));
        }
      }
      assertThat(t.weightGradients()).as("no analytic prior gradient").isEmpty();
    }
  }

  @Test
  void knobsKeepThePenaltyKindThroughTheirWithers() {
    PruningKnobs k = PruningKnobs.defaults().withPenalty(PenaltyKind.L1);
    assertThat(PruningKnobs.defaults().penalty()).isEqualTo(PenaltyKind.COMPLEXITY_AWARE);
    assertThat(k.withStrength(2).withFlopsShare(0).withLayerShare(1).penalty())
        .isEqualTo(PenaltyKind.L1);
  }
}
