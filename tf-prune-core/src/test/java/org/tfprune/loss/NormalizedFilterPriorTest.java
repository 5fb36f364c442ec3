package org.tfprune.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
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
import org.tfprune.spec.Activation;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.Conv2DLayer;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.FlattenLayer;
import org.tfprune.spec.GateGroup;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.Padding;
import org.tfprune.testing.Tf;
import org.tfprune.testing.TinyResNet;

/**
 * A filter with batch norm right after its conv is scale-free in its kernel: its prior is on
 * batch norm's {@code gamma} and {@code beta}, and its gate feels {@link
 * PressureCalibration#NORMALIZED_PRESSURE} of the complexity pressure; a filter whose batch norm
 * follows its activation, or that has none, keeps its kernel's prior and the whole pressure.
 */
class NormalizedFilterPriorTest {
  /** Three gated convs: batch norm after the conv, after the activation, none. */
  private static final ArchitectureSpec MIXED = ArchitectureSpec.of("mixed",
      InputSpec.of(8, 8, 1),
      new Conv2DLayer("normalized", 4, 3, 1, Padding.SAME, true, Activation.RELU, true),
      new Conv2DLayer("after", 3, 3, 1, Padding.SAME, false, Activation.RELU, true,
          Conv2DLayer.DEFAULT_BATCH_NORM_EPSILON, true),
      new Conv2DLayer("plain", 5, 3, 1, Padding.SAME, false, Activation.RELU, true),
      new FlattenLayer("flatten"), DenseLayer.logits("output", 3));

  @Test
  void aNormalizedFilterOwnsItsBatchNormScaleAndOffsetOnly() {
    Map<String, List<String>> owned = new LinkedHashMap<>();
    StructureWeights.ownership(MIXED).forEach(o ->
        owned.computeIfAbsent(o.group(), g -> new java.util.ArrayList<>()).add(o.variable()));
    assertThat(owned.get("normalized")).containsExactly("normalized/gamma", "normalized/beta");
    assertThat(owned.get("after")).containsExactly("after/kernel", "after/bias", "after/gamma",
        "after/beta");
    assertThat(owned.get("plain")).containsExactly("plain/kernel", "plain/bias");
    assertThat(StructureWeights.normalizedGroups(MIXED)).containsExactly("normalized");
    PriorScales p = StructureWeights.scales(MIXED, "normalized");
    assertThat(p.weightsPerStructure()).isEqualTo(2);
    assertThat(p.sigma1Squared()).isEqualTo(PriorScales.NORMALIZED_SLAB);
    // the unnormalized ones keep the slab of their fan-in: 3x3 over 4 inputs, 3x3 over 3
    assertThat(StructureWeights.scales(MIXED, "after").sigma1Squared())
        .isCloseTo(PriorScales.SLAB_GAIN / 36, within(1e-12));
    assertThat(StructureWeights.scales(MIXED, "plain").weightsPerStructure()).isEqualTo(27 + 1);
    // a residual network's inner filters and blocks are all normalized (conv, batch norm, ReLU)
    ArchitectureSpec resnet = TinyResNet.plain();
    assertThat(StructureWeights.normalizedGroups(resnet)).containsExactlyElementsOf(
        resnet.gateGroups().stream().map(GateGroup::name).toList());
    assertThat(StructureWeights.ownership(resnet).stream()
        .filter(o -> o.group().equals("s1b0")).map(StructureWeights.Owned::variable))
        .containsExactly("s1b0_conv2/gamma", "s1b0_conv2/beta");
    assertThat(StructureWeights.scales(resnet, "s1b0").weightsPerStructure()).isEqualTo(16);
  }

  /**
   * The complexity cost's value is the expected cost, whatever the groups; its gradient to a
   * normalized group's theta is {@link PressureCalibration#NORMALIZED_PRESSURE} times the
   * cost's derivative (a central difference of the value, exact up to float rounding: the cost
   * is affine in each theta), and the whole derivative for the others.
   */
  @Test
  void aNormalizedGroupFeelsItsShareOfThePressure() {
    ParameterSet base = ParameterInitializer.initialize(MIXED, 3, 1f);
    Map<String, float[]> theta = Map.of("normalized", new float[] {0.9f, 0.6f, 0.8f, 0.7f},
        "after", new float[] {0.5f, 0.9f, 0.7f}, "plain", new float[] {0.8f, 0.4f, 0.9f, 0.6f,
            0.7f});
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      NetworkGraph net = NetworkBuilder.build(tf, MIXED, true, 1);
      ForwardPass pass = net.forward(GateMode.SAMPLED, "train");
      Placeholder<TFloat32> labels = tf.placeholder(TFloat32.class);
      LossTerms t = new ComplexityAwareLoss(PruningKnobs.defaults(), 100)
          .call(tf, net, pass.logits(), labels);
      List<String> groups = List.of("normalized", "after", "plain");
      Output<?>[] grads = g.addGradients(t.complexity().asOutput(), groups.stream()
          .map(n -> net.theta(n).asOutput()).toArray(Output<?>[]::new));
      net.initialize(s, withTheta(base, theta));
      float[][] gradient = new float[groups.size()][];
      try (Result r = fetchAll(s, grads)) {
        for (int i = 0; i < grads.length; i++) {
          gradient[i] = Tf.values(r.get(i));
        }
      }
      double delta = 0.05;
      for (int gi = 0; gi < groups.size(); gi++) {
        String group = groups.get(gi);
        double share = group.equals("normalized") ? PressureCalibration.NORMALIZED_PRESSURE : 1;
        for (int i = 0; i < theta.get(group).length; i++) {
          double up = complexity(s, net, t, base, theta, group, i, delta);
          double down = complexity(s, net, t, base, theta, group, i, -delta);
          double derivative = (up - down) / (2 * delta);
          assertThat(derivative).as("%s %s", group, i).isPositive();
          assertThat((double) gradient[gi][i]).as("%s %s", group, i)
              .isCloseTo(share * derivative, within(1e-3 * derivative));
        }
      }
    }
  }

  private static Result fetchAll(Session s, Output<?>[] fetches) {
    Session.Runner r = s.runner();
    for (Output<?> f : fetches) {
      r.fetch(f);
    }
    return r.run();
  }

  private static double complexity(Session s, NetworkGraph net, LossTerms t, ParameterSet base,
      Map<String, float[]> theta, String group, int index, double delta) {
    Map<String, float[]> moved = new LinkedHashMap<>(theta);
    float[] v = theta.get(group).clone();
    v[index] += (float) delta;
    moved.put(group, v);
    net.initialize(s, withTheta(base, moved));
    try (Result r = s.runner().fetch(t.complexity()).run()) {
      return Tf.values(r.get(0))[0];
    }
  }

  private static ParameterSet withTheta(ParameterSet base, Map<String, float[]> theta) {
    Map<String, HostTensor> m = new LinkedHashMap<>(base.asMap());
    theta.forEach((g, v) -> m.put(g + "/theta", new HostTensor(new long[] {v.length}, v)));
    return new ParameterSet(m);
  }
}
