package org.tfprune.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tfprune.build.ForwardPass;
import org.tfprune.build.NetworkBuilder;
import org.tfprune.build.NetworkGraph;
import org.tfprune.build.ParameterInitializer;
import org.tfprune.op.GateMode;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.testing.Tf;
import org.tfprune.testing.TinyResNet;

/**
 * A coupled stream channel is a unit/filter-type structure: it owns its output-channel slices
 * across the stage, its prior norm is theirs, and the complexity pressure reaches it scaled by
 * {@code 1 - layerShare}.
 */
class CoupledStreamLossTest {
  private static final ArchitectureSpec SPEC = TinyResNet.coupled();

  @Test
  void aStreamChannelOwnsItsOutputSlicesAcrossTheStage() {
    List<StructureWeights.Owned> stream1 = StructureWeights.ownership(SPEC).stream()
        .filter(o -> o.group().equals("stream1")).toList();
    // every conv of the stage is followed by batch norm: a channel owns its gamma and beta in
    // each (the kernels are scale-free, StructureWeights.normalized)
    assertThat(stream1).extracting(StructureWeights.Owned::variable).containsExactly(
        "stem/gamma", "stem/beta", "s1b0_conv2/gamma", "s1b0_conv2/beta", "s1b1_conv2/gamma",
        "s1b1_conv2/beta");
    assertThat(stream1).allMatch(o -> o.axis() == 0);
    assertThat(StructureWeights.ownership(SPEC).stream()
        .filter(o -> o.group().equals("stream2")).map(StructureWeights.Owned::variable))
        .containsExactly("s2b0_conv2/gamma", "s2b0_conv2/beta", "s2b0_shortcut/gamma",
            "s2b0_shortcut/beta", "s2b1_conv2/gamma", "s2b1_conv2/beta");
    PriorScales p = StructureWeights.scales(SPEC, "stream1");
    assertThat(p.weightsPerStructure()).isEqualTo(6);
    assertThat(p.sigma1Squared()).isEqualTo(PriorScales.NORMALIZED_SLAB);
    assertThat(StructureWeights.normalizedGroups(SPEC)).contains("stream1", "stream2");
    // the default spec is untouched: no stream group owns anything
    assertThat(StructureWeights.ownership(TinyResNet.plain()))
        .noneMatch(o -> o.group().startsWith("stream"));
  }

  @Test
  void streamNormsSumTheSlicesAndThePressureIsRoutedToUnitGates() {
    ParameterSet params = ParameterInitializer.initialize(SPEC, 2, 0.7f);
    // gamma and beta away from their initial 1 and 0, so the norms read real values
    java.util.Map<String, HostTensor> moved = new java.util.LinkedHashMap<>(params.asMap());
    java.util.Random rnd = new java.util.Random(5);
    moved.replaceAll((k, t) -> {
      if (!k.endsWith("/gamma") && !k.endsWith("/beta")) {
        return t;
      }
      float[] v = t.values();
      for (int i = 0; i < v.length; i++) {
        v[i] += (float) (0.3 * rnd.nextGaussian());
      }
      return new HostTensor(t.shape(), v);
    });
    params = new ParameterSet(moved);
    float[][] r = run(params);
    float[] norms = r[0];
    float[][] low = {r[1], r[2], r[3], r[4]};
    float[][] high = {r[5], r[6], r[7], r[8]};
    for (int c = 0; c < 8; c++) {
      double expected = 0;
      for (String conv : List.of("stem", "s1b0_conv2", "s1b1_conv2")) {
        for (String kind : List.of("gamma", "beta")) {
          float v = params.get(conv + "/" + kind).get(c);
          expected += v * v;
        }
      }
      assertThat((double) norms[c]).isCloseTo(expected, within(1e-4 * expected));
    }
    // [cost value], d cost / d theta of stream1 and of the block s1b0
    assertThat(high[0][0]).isCloseTo(low[0][0], within(1e-6f * Math.abs(low[0][0])));
    for (int c = 0; c < 8; c++) {
      assertThat(low[1][c]).isPositive();
      assertThat(high[1][c] / low[1][c]).isCloseTo(0.25f, within(1e-3f));
    }
    assertThat(high[2][0] / low[2][0]).isCloseTo(4f, within(1e-3f));
    // the data loss reaches the shared gate through all its places in the stage
    double sum = 0;
    for (float v : low[3]) {
      assertThat(Float.isFinite(v)).isTrue();
      sum += Math.abs(v);
    }
    assertThat(sum).isPositive();
  }

  /**
   * Stream1's squared norms, then for layerShare 0.2 and 0.8: [complexity], d complexity / d
   * stream1 theta, d complexity / d s1b0 theta, d data / d stream1 theta; one graph, one run.
   */
  private static float[][] run(ParameterSet params) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      NetworkGraph net = NetworkBuilder.build(tf, SPEC, true, 1);
      ForwardPass pass = net.forward(GateMode.SAMPLED, "p");
      var labels = tf.oneHot(tf.constant(new int[] {3, 7}), tf.constant(10), tf.constant(1f),
          tf.constant(0f));
      Session.Runner runner = s.runner()
          .fetch(StructureNorms.squaredNorms(tf, net, "stream1"));
      for (double layerShare : new double[] {0.2, 0.8}) {
        LossTerms t = new ComplexityAwareLoss(new PruningKnobs(1, 0.5, layerShare), 1000)
            .call(tf, net, pass.logits(), labels);
        Output<?>[] c = g.addGradients(t.complexity().asOutput(), new Output<?>[] {
            net.theta("stream1").asOutput(), net.theta("s1b0").asOutput()});
        Output<?>[] d = g.addGradients(t.data().asOutput(), new Output<?>[] {
            net.theta("stream1").asOutput()});
        runner.fetch(t.complexity()).fetch(c[0]).fetch(c[1]).fetch(d[0]);
      }
      net.initialize(s, params);
      float[] x = new float[2 * 28 * 28];
      for (int i = 0; i < x.length; i++) {
        x[i] = (i * 37 % 101) / 101f;
      }
      try (TFloat32 xt = Tf.tensor(x, 2, 28, 28, 1);
          Result r = runner.feed(net.input(), xt).run()) {
        float[][] out = new float[9][];
        for (int i = 0; i < out.length; i++) {
          out[i] = Tf.values(r.get(i));
        }
        return out;
      }
    }
  }
}
