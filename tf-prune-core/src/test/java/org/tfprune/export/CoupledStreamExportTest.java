package org.tfprune.export;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TFloat32;
import org.tfprune.build.NetworkBuilder;
import org.tfprune.build.NetworkGraph;
import org.tfprune.build.ParameterInitializer;
import org.tfprune.complexity.Complexity;
import org.tfprune.complexity.ComplexityCounter;
import org.tfprune.complexity.LayerCost;
import org.tfprune.op.PruneOps;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.KeepMask;
import org.tfprune.testing.Mnist;
import org.tfprune.testing.Tf;
import org.tfprune.testing.TinyResNet;

/**
 * With coupled stream channels, dead stream channels, dead inner filters and a dead block: the
 * exported SavedModel computes the gated network's deterministic function on real MNIST images,
 * and its graph's counts equal the host counts and the graph-side expectation at binary theta.
 */
class CoupledStreamExportTest {
  private static final ArchitectureSpec SPEC = TinyResNet.coupled();
  private static final int COUNT = 64;

  /**
   * Trained-looking parameters: random batch-norm statistics, small scales at the end of each
   * branch; stream1 loses channels 1, 4 and 6, stream2 five of 16, s1b1 is dead, s2b0 loses three
   * inner filters.
   */
  static ParameterSet parameters() {
    SplittableRandom rng = new SplittableRandom(5);
    Map<String, HostTensor> m = new LinkedHashMap<>(
        ParameterInitializer.initialize(SPEC, 3, 1f).asMap());
    m.replaceAll((name, t) -> {
      float[] v = t.values();
      String kind = ParameterSet.kindOf(name);
      boolean branchEnd = ParameterSet.ownerOf(name).endsWith("_conv2");
      for (int i = 0; i < v.length; i++) {
        switch (kind) {
          case "gamma" -> v[i] = (float) (branchEnd ? 0.1 + 0.2 * rng.nextDouble()
              : 0.5 + rng.nextDouble());
          case "moving_variance" -> v[i] = (float) (0.5 + rng.nextDouble());
          case "beta", "moving_mean", "bias" -> v[i] = (float) (0.4 * (rng.nextDouble() - 0.5));
          default -> { }
        }
      }
      return new HostTensor(t.shape(), v);
    });
    close(m, "stream1", 1, 4, 6);
    close(m, "stream2", 0, 3, 7, 8, 12);
    close(m, "s1b1", 0);
    close(m, "s2b0_conv1", 2, 5, 9);
    return new ParameterSet(m);
  }

  private static void close(Map<String, HostTensor> m, String group, int... structures) {
    String key = ParameterSet.key(group, ParameterSet.THETA);
    float[] t = m.get(key).values();
    for (int i : structures) {
      t[i] = 0f;
    }
    m.put(key, new HostTensor(m.get(key).shape(), t));
  }

  @Test
  void exportedSavedModelEqualsGatedNetworkAndCountsMatchEverywhere(@TempDir Path dir) {
    ParameterSet params = parameters();
    KeepMask keep = KeepMask.fromTheta(params.thetas());
    ArchitectureSpec compact = SPEC.compact(keep);
    assertThat(compact.streamWidths()).containsExactly(Map.entry("stream1", 5),
        Map.entry("stream2", 11));
    float[] x = Mnist.test(COUNT).features();
    HostTensor gated = CompactExporter.gatedLogits(SPEC, params, x, COUNT);
    // batch norm kept as its own op, so the graph shows every stream channel's batch-norm
    // tensors (the folded export is checked below)
    try (CompactExporter.VerifiedModel m = CompactExporter.compact(SPEC, params, keep, x, COUNT,
        ServingSignature.DEFAULT, ExportSettings.UNFOLDED)) {
      assertThat(m.maxAbsDiff()).isLessThanOrEqualTo(1e-5);
      m.model().save(dir.resolve("model"), false, Map.of());
    }
    // the SavedModel as written, loaded by plain TF-Java
    double diff;
    try (SavedModelBundle b = SavedModelBundle.load(dir.resolve("model").toString(), "serve");
        TFloat32 xt = Tf.tensor(x, COUNT, 28, 28, 1);
        Result r = b.function(InferenceModel.SIGNATURE_KEY).call(Map.of("input", xt))) {
      diff = HostTensor.of((TFloat32) r.get(InferenceModel.LOGITS).orElseThrow())
          .maxAbsDiff(gated);
    }
    System.out.printf("coupled streams: max |saved model - gated| = %.3g over %d MNIST images%n",
        diff, COUNT);
    assertThat(diff).isLessThanOrEqualTo(1e-5);
    // every consumer lost the stream channels: stem and projection outputs, dense input rows
    SavedModelInspector saved = SavedModelInspector.open(dir.resolve("model"));
    Map<String, String> shapes = variableShapes(saved);
    assertThat(shapes.get("stem/kernel")).isEqualTo("[3, 3, 1, 5]");
    assertThat(shapes.get("s1b0_conv1/kernel")).isEqualTo("[3, 3, 5, 8]");
    assertThat(shapes.get("s1b0_conv2/kernel")).isEqualTo("[3, 3, 8, 5]");
    assertThat(shapes.get("s1b0_conv2/gamma")).isEqualTo("[5]");
    assertThat(shapes).doesNotContainKey("s1b1_conv1/kernel");
    assertThat(shapes.get("s2b0_conv1/kernel")).isEqualTo("[3, 3, 5, 13]");
    assertThat(shapes.get("s2b0_shortcut/kernel")).isEqualTo("[1, 1, 5, 11]");
    assertThat(shapes.get("s2b0_conv2/kernel")).isEqualTo("[3, 3, 13, 11]");
    assertThat(shapes.get("s2b1_conv1/kernel")).isEqualTo("[3, 3, 11, 16]");
    assertThat(shapes.get("output/kernel")).isEqualTo("[11, 10]");
    Complexity host = ComplexityCounter.count(compact);
    assertThat(saved.complexity()).isEqualTo(host);
    assertThat(ComplexityCounter.count(SPEC, keep)).isEqualTo(host);
    assertThat(host.macs()).isLessThan(ComplexityCounter.count(TinyResNet.plain().compact(
        KeepMask.fromTheta(withoutStreams(params.thetas())))).macs());
    double[] expected = graphExpectation(params);
    System.out.printf("coupled streams: graph counts %s, host %s, graph expectation %.1f MACs "
        + "%.1f params%n", saved.complexity(), host, expected[0], expected[1]);
    assertThat(expected[0]).isCloseTo(host.macs(), org.assertj.core.api.Assertions.within(
        1e-6 * host.macs()));
    assertThat(expected[1]).isCloseTo(host.params(), org.assertj.core.api.Assertions.within(
        1e-6 * host.params()));
  }

  @Test
  void widthRoundingAndBatchNormFoldingStayExactWithCoupledStreams() {
    ParameterSet params = parameters();
    KeepMask keep = KeepMask.fromTheta(params.thetas());
    float[] x = Mnist.test(32).features();
    WidthRounding.Rounded r = WidthRounding.roundUp(SPEC, params, keep, 4);
    assertThat(r.keep().count("stream1")).isEqualTo(8);
    assertThat(r.keep().count("stream2")).isEqualTo(12);
    try (CompactExporter.VerifiedModel m = CompactExporter.compact(SPEC, r.parameters(),
        r.keep(), x, 32, CompactExporter.DEFAULT_TOLERANCE)) {
      System.out.printf("coupled streams rounded to 4: max diff %.3g%n", m.maxAbsDiff());
      assertThat(m.maxAbsDiff()).isLessThanOrEqualTo(1e-5);
      assertThat(m.model().spec().streamWidths()).containsExactly(Map.entry("stream1", 8),
          Map.entry("stream2", 12));
      assertThat(SavedModelInspector.of(m.model().graphDef()).complexity())
          .isEqualTo(ComplexityCounter.count(m.model().spec()));
    }
    try (CompactExporter.VerifiedModel m = CompactExporter.compact(SPEC, params, keep, x, 32,
        CompactExporter.DEFAULT_TOLERANCE, ServingSignature.DEFAULT,
        new ExportSettings(1, true))) {
      System.out.printf("coupled streams, batch norm folded: max diff %.3g%n", m.maxAbsDiff());
      assertThat(m.maxAbsDiff()).isLessThanOrEqualTo(ExportSettings.FOLDED_TOLERANCE);
      assertThat(m.model().graphDef().getNodeList()).noneMatch(
          n -> n.getOp().startsWith("FusedBatchNorm"));
      assertThat(SavedModelInspector.of(m.model().graphDef()).complexity())
          .isEqualTo(ComplexityCounter.count(m.model().spec()));
      assertThat(ComplexityCounter.count(m.model().spec()).macs())
          .isEqualTo(ComplexityCounter.count(SPEC, keep).macs());
    }
  }

  /** The expected MACs and parameters built in a graph, at the parameters' theta. */
  private static double[] graphExpectation(ParameterSet params) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      NetworkGraph net = NetworkBuilder.build(tf, SPEC, true, 0);
      PruneOps prune = PruneOps.create(tf);
      LayerCost<org.tensorflow.Operand<TFloat32>> cost = prune.complexity.expected(SPEC,
          group -> prune.complexity.expectedWidth(net.effectiveTheta(group)));
      net.initialize(s, params);
      return new double[] {Tf.fetch(s, cost.macs())[0], Tf.fetch(s, cost.params())[0]};
    }
  }

  private static Map<String, float[]> withoutStreams(Map<String, float[]> theta) {
    Map<String, float[]> m = new HashMap<>(theta);
    m.keySet().removeIf(k -> k.startsWith("stream"));
    return m;
  }

  private static Map<String, String> variableShapes(SavedModelInspector inspector) {
    Map<String, String> shapes = new HashMap<>();
    for (NodeDef n : inspector.graphDef().getNodeList()) {
      if (n.getOp().equals("VariableV2")) {
        var dims = n.getAttrOrThrow("shape").getShape().getDimList();
        shapes.put(n.getName(), dims.stream().map(d -> Long.toString(d.getSize())).toList()
            .toString());
      }
    }
    return shapes;
  }
}
