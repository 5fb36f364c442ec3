package org.tfprune.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.common.collect.ImmutableMap;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tfprune.build.NetworkBuilder;
import org.tfprune.build.NetworkGraph;
import org.tfprune.complexity.ComplexityCounter;
import org.tfprune.export.CompactExporter;
import org.tfprune.loss.PruningKnobs;
import org.tfprune.op.GateMode;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.LayerSpec;
import org.tfprune.testing.ArrayData;
import org.tfprune.testing.Mnist;
import org.tfprune.testing.Tf;
import org.tfprune.testing.TinyResNet;

/**
 * The trainer with coupled stream channels: a rebuild slices every variable, optimizer slot,
 * batch-norm statistic, theta and counter by the stream's kept channels and the smaller graph
 * computes the same function; a short run prunes and exports exactly.
 */
class CoupledStreamTrainingTest {
  private static final ArchitectureSpec SPEC = TinyResNet.coupled();

  @Test
  void aRebuildRemovesStreamChannelsFromEveryVariableAndKeepsTheNetwork(@TempDir Path dir) {
    ArrayData train = Mnist.train(400);
    ArrayData test = Mnist.test(64);
    Path file = dir.resolve("run.ckpt");
    TrainerConfig cfg = TrainerConfig.builder().epochs(1).finetuneEpochs(0).batchSize(100)
        .seed(3).evalBatchSize(64).rebuildThreshold(0)
        .checkpoint(CheckpointPolicy.everyEpoch(file, false)).build();
    new PruningTrainer(cfg, null).train(SPEC, train, test);
    TrainingState trained = Checkpoint.read(file,
        Checkpoint.RunKey.of(SPEC, cfg, train.size()), SPEC);
    Map<String, HostTensor> params = new LinkedHashMap<>(trained.parameters().asMap());
    Map<String, float[]> masks = new LinkedHashMap<>(trained.masks());
    freeze(params, masks, "stream1", 1, 4, 6);
    freeze(params, masks, "stream2", 0, 3, 7);
    freeze(params, masks, "s1b1", 0);
    freeze(params, masks, "s2b0_conv1", 2, 5);
    TrainingState before = new TrainingState(trained.structure(), new ParameterSet(params),
        ImmutableMap.copyOf(masks), trained.zeroChecks(), trained.optimizers(),
        trained.priorCache(), trained.progress(), trained.carriedNorms());

    TrainingState after = new PruningTrainer(cfg, null).roundTrip(before.withoutFrozen(), train,
        test);

    assertThat(after.spec().layers()).extracting(LayerSpec::name).containsExactly("stem",
        "s1b0", "s2b0", "s2b1", "gap", "output");
    assertThat(after.spec().streamWidths()).containsExactly(Map.entry("stream1", 5),
        Map.entry("stream2", 13));
    int[] k1 = {0, 2, 3, 5, 7};
    int[] k2 = {1, 2, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    int[] inner = {0, 1, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    ParameterSet p = before.parameters();
    ParameterSet q = after.parameters();
    assertThat(q.get("stem/kernel")).isEqualTo(p.get("stem/kernel").select(3, k1));
    for (String kind : List.of("gamma", "beta", "moving_mean", "moving_variance")) {
      assertThat(q.get("stem/" + kind)).isEqualTo(p.get("stem/" + kind).select(0, k1));
      assertThat(q.get("s1b0_conv2/" + kind)).isEqualTo(p.get("s1b0_conv2/" + kind)
          .select(0, k1));
      assertThat(q.get("s2b0_shortcut/" + kind)).isEqualTo(p.get("s2b0_shortcut/" + kind)
          .select(0, k2));
    }
    assertThat(q.get("s1b0_conv1/kernel")).isEqualTo(p.get("s1b0_conv1/kernel").select(2, k1));
    assertThat(q.get("s1b0_conv2/kernel")).isEqualTo(p.get("s1b0_conv2/kernel").select(3, k1));
    assertThat(q.get("s2b0_shortcut/kernel")).isEqualTo(p.get("s2b0_shortcut/kernel")
        .select(2, k1).select(3, k2));
    assertThat(q.get("s2b0_conv1/kernel")).isEqualTo(p.get("s2b0_conv1/kernel").select(2, k1)
        .select(3, inner));
    assertThat(q.get("s2b0_conv2/kernel")).isEqualTo(p.get("s2b0_conv2/kernel")
        .select(2, inner).select(3, k2));
    assertThat(q.get("s2b1_conv1/kernel")).isEqualTo(p.get("s2b1_conv1/kernel").select(2, k2));
    assertThat(q.get("s2b1_conv2/kernel")).isEqualTo(p.get("s2b1_conv2/kernel").select(3, k2));
    assertThat(q.get("output/kernel")).isEqualTo(p.get("output/kernel").select(0, k2));
    assertThat(q.get("stream1/theta")).isEqualTo(p.get("stream1/theta").select(0, k1));
    assertThat(q.get("stream2/theta")).isEqualTo(p.get("stream2/theta").select(0, k2));
    assertThat(q.has("s1b1_conv2/kernel")).isFalse();
    Map<String, HostTensor> adam = before.optimizers().get("prune_step_optimizer");
    Map<String, HostTensor> adamAfter = after.optimizers().get("prune_step_optimizer");
    assertThat(adamAfter.get("stem/kernel/adam_m")).isEqualTo(
        adam.get("stem/kernel/adam_m").select(3, k1));
    assertThat(adamAfter.get("s2b0_shortcut/kernel/adam_v")).isEqualTo(
        adam.get("s2b0_shortcut/kernel/adam_v").select(2, k1).select(3, k2));
    assertThat(adamAfter.get("output/kernel/adam_m")).isEqualTo(
        adam.get("output/kernel/adam_m").select(0, k2));
    assertThat(after.masks().get("stream1")).hasSize(5).containsOnly(1f);
    int[] z = before.zeroChecks().get("stream2");
    for (int i = 0; i < k2.length; i++) {
      assertThat(after.zeroChecks().get("stream2")[i]).isEqualTo(z[k2[i]]);
    }
    // the rebuilt network computes what the masked one does (batch norm in inference mode)
    float[] x = test.features(64);
    float[] a = logits(before, x, 64);
    float[] b = logits(after, x, 64);
    double diff = 0;
    for (int i = 0; i < a.length; i++) {
      diff = Math.max(diff, Math.abs(a[i] - b[i]));
    }
    System.out.printf("coupled streams rebuilt: max |rebuilt - masked| = %.3g%n", diff);
    // the same non-zero terms summed in another order: float32 rounding only, a few ulps
    // (2^-24 relative) of partial sums, far below 1e-4 for logits of order 1 to 10
    assertThat(diff).isLessThanOrEqualTo(1e-4);
  }

  @Test
  void aShortRunPrunesStreamChannelsAndExportsExactly() {
    ArrayData train = Mnist.train(600);
    ArrayData test = Mnist.test(200);
    // plumbing only: 18 steps at strength 16 do not teach this network anything (its training
    // cross-entropy stays above ln 10 = 2.3, its accuracy at chance), so nothing here is about
    // learning; the run must take the trainer through stream-channel sampling, freezing and
    // rebuilds, and its result must export exactly
    TrainerConfig cfg = TrainerConfig.builder().epochs(3).finetuneEpochs(1).batchSize(100)
        .seed(4).evalBatchSize(200).pruneCheckEvery(2)
        .pruningCondition(new PruningCondition(2, 1.0)).rebuildThreshold(0.05)
        .thetaOptimizer(TrainerConfig.ThetaOptimizer.ADAM).thetaLearningRate(0.1)
        .knobs(PruningKnobs.defaults().withStrength(16).withLayerShare(0)).build();
    TrainingResult r = new PruningTrainer(cfg, null).train(SPEC, train, test);
    EpochStats last = r.history().get(r.history().size() - 1);
    System.out.printf("coupled tiny resnet: %s streams %s, training MACs %s -> %s, acc %.3f, "
        + "data loss %.3f -> %.3f%n", r.compactSpec().widthString(),
        r.compactSpec().streamWidths(), r.history().get(0).trainingMacs(), last.trainingMacs(),
        last.testAccuracy(), r.history().get(0).dataLoss(), last.dataLoss());
    // it rebuilt: the last graph trained is smaller than the full one and holds the live network
    assertThat(last.trainingMacs()).isLessThan(ComplexityCounter.count(SPEC).macs())
        .isGreaterThanOrEqualTo(r.compactComplexity().macs());
    // stream channels were pruned (any one of the 24)
    assertThat(r.keep().count("stream1") + r.keep().count("stream2")).isLessThan(24);
    // exported exactly: the compact model computes the gated network on examples the exporter
    // did not check, and the exported graph counts the compact spec's MACs and parameters
    float[] other = java.util.Arrays.copyOfRange(test.features(), 100 * 784, 200 * 784);
    HostTensor gated = CompactExporter.gatedLogits(r.spec(), r.parameters(), other, 100);
    // batch norm kept as its own op, so the graph counts exactly the trainer's compact spec
    try (var verified = CompactExporter.compact(r.spec(), r.parameters(), r.keep(),
        test.features(100), 100, org.tfprune.export.ServingSignature.DEFAULT,
        org.tfprune.export.ExportSettings.UNFOLDED)) {
      assertThat(verified.model().predict(other, 100).maxAbsDiff(gated))
          .isLessThanOrEqualTo(CompactExporter.DEFAULT_TOLERANCE);
      assertThat(org.tfprune.export.SavedModelInspector.of(verified.model().graphDef())
          .complexity()).isEqualTo(r.compactComplexity());
      assertThat(ComplexityCounter.count(verified.model().spec()))
          .isEqualTo(r.compactComplexity());
    }
  }

  private static void freeze(Map<String, HostTensor> params, Map<String, float[]> masks,
      String group, int... structures) {
    float[] theta = params.get(group + "/theta").values().clone();
    float[] mask = masks.get(group).clone();
    for (int i : structures) {
      theta[i] = 0f;
      mask[i] = 0f;
    }
    params.put(group + "/theta", new HostTensor(new long[] {theta.length}, theta));
    masks.put(group, mask);
  }

  /** Deterministic logits of a state's network. */
  private static float[] logits(TrainingState s, float[] x, int n) {
    try (Graph g = new Graph(); Session session = new Session(g)) {
      Ops tf = Ops.create(g);
      NetworkGraph net = NetworkBuilder.build(tf, s.spec(), true, 1);
      var out = net.forward(GateMode.DETERMINISTIC, false, "eval").logits();
      Map<String, HostTensor> values = new LinkedHashMap<>(s.parameters().asMap());
      s.masks().forEach((k, m) -> values.put(ParameterSet.key(k, NetworkGraph.MASK),
          new HostTensor(new long[] {m.length}, m)));
      net.initialize(session, new ParameterSet(values));
      try (var xt = Tf.tensor(x, n, 28, 28, 1);
          Result r = session.runner().feed(net.input(), xt).fetch(out).run()) {
        return Tf.values(r.get(0));
      }
    }
  }
}
