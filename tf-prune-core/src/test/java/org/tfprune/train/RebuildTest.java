package org.tfprune.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tfprune.build.NetworkBuilder;
import org.tfprune.build.NetworkGraph;
import org.tfprune.complexity.ComplexityCounter;
import org.tfprune.loss.PruningKnobs;
import org.tfprune.loss.StructureNorms;
import org.tfprune.loss.StructureWeights;
import org.tfprune.op.GateMode;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.Conv2DLayer;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.GlobalAvgPoolLayer;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.ResidualBlock;
import org.tfprune.spec.KeepMask;
import org.tfprune.testing.ArrayData;
import org.tfprune.testing.Mnist;
import org.tfprune.testing.Noise;
import org.tfprune.testing.Seeds;
import org.tfprune.testing.Tf;

/**
 * Rebuilding the training graph without frozen structures: the state carried into the smaller
 * graph is the sliced state (every variable, optimizer slot and counter), the network computes
 * the same function, and a run with rebuilds ends where a masks-only run does.
 */
class RebuildTest {
  private static final ArchitectureSpec SPEC = TrainerTest.SPEC;

  private static TrainerConfig.Builder config() {
    return TrainerConfig.builder().knobs(PruningKnobs.defaults().withStrength(TrainerTest.PRUNE))
        .epochs(10).batchSize(100).seed(7).evalBatchSize(1000).pruneCheckEvery(10);
  }

  @Test
  void stateAfterARebuildIsTheSlicedStateBeforeIt(@TempDir Path dir) {
    ArrayData train = Mnist.train(3000);
    ArrayData test = Mnist.test(500);
    Path file = dir.resolve("run.ckpt");
    TrainerConfig cfg = config().epochs(4).rebuildThreshold(0)
        .checkpoint(CheckpointPolicy.everyEpoch(file, false)).build();
    new PruningTrainer(cfg, null).train(SPEC, train, test);
    // the masks-only run's final state: full graph, some structures frozen
    TrainingState before = Checkpoint.read(file, Checkpoint.RunKey.of(SPEC, cfg, train.size()),
        SPEC);
    KeepMask live = before.live();
    assertThat(live.removed()).as("frozen structures after 4 epochs").isPositive();

    TrainingState after = new PruningTrainer(cfg, null).roundTrip(before.withoutFrozen(), train,
        test);

    int[] in = live.kept(InputSpec.GATE_GROUP);
    int[] d0 = live.kept("dense0");
    int[] d1 = live.kept("dense1");
    assertThat(after.spec().widths()).containsExactly(in.length, d0.length, d1.length, 10);
    ParameterSet p = before.parameters();
    ParameterSet q = after.parameters();
    assertThat(q.get("dense0/kernel")).isEqualTo(p.get("dense0/kernel").select(0, in)
        .select(1, d0));
    assertThat(q.get("dense1/kernel")).isEqualTo(p.get("dense1/kernel").select(0, d0)
        .select(1, d1));
    assertThat(q.get("output/kernel")).isEqualTo(p.get("output/kernel").select(0, d1));
    assertThat(q.get("output/bias")).isEqualTo(p.get("output/bias"));
    assertThat(q.get("dense0/bias")).isEqualTo(p.get("dense0/bias").select(0, d0));
    assertThat(q.get("input/theta")).isEqualTo(p.get("input/theta").select(0, in));
    assertThat(q.get("dense1/theta")).isEqualTo(p.get("dense1/theta").select(0, d1));
    // optimizer state: Adam moments sliced like their variables, beta powers carried over
    Map<String, HostTensor> adam = before.optimizers().get("prune_step_optimizer");
    Map<String, HostTensor> adamAfter = after.optimizers().get("prune_step_optimizer");
    assertThat(adamAfter.get("dense0/kernel/adam_m")).isEqualTo(
        adam.get("dense0/kernel/adam_m").select(0, in).select(1, d0));
    assertThat(adamAfter.get("dense1/kernel/adam_v")).isEqualTo(
        adam.get("dense1/kernel/adam_v").select(0, d0).select(1, d1));
    assertThat(adamAfter.get("output/bias/adam_m")).isEqualTo(adam.get("output/bias/adam_m"));
    assertThat(adamAfter.get("beta1_power")).isEqualTo(adam.get("beta1_power"));
    assertThat(adam.get("beta1_power").get(0)).isLessThan(0.9f); // Adam has taken steps
    // masks: every structure in the new graph may live; counters follow their structures
    assertThat(after.masks().get("dense0")).containsOnly(1f);
    int[] z = before.zeroChecks().get("dense0");
    for (int i = 0; i < d0.length; i++) {
      assertThat(after.zeroChecks().get("dense0")[i]).isEqualTo(z[d0[i]]);
    }
    assertThat(after.progress()).usingRecursiveComparison().ignoringFields("rebuilds")
        .isEqualTo(before.progress());
    assertThat(after.progress().rebuilds()).isEqualTo(before.progress().rebuilds() + 1);
    assertThat(after.inGraph()).isEqualTo(KeepMask.compose(SPEC, before.inGraph(), live));

    // the prior keeps counting the weights the rebuild removed: per kept structure, the carried
    // squared norm plus what it still holds is what it held in the masked graph
    Map<String, float[]> held = StructureNorms.squaredNorms(SPEC, before.parameters());
    Map<String, float[]> holds = StructureNorms.squaredNorms(after.spec(), after.parameters());
    for (String g : new String[] {"input", "dense0", "dense1"}) {
      int[] kept = live.kept(g);
      float[] carried = after.carriedNorms().get(g);
      assertThat(carried).hasSize(kept.length);
      for (int i = 0; i < kept.length; i++) {
        float was = held.get(g)[kept[i]];
        // float32 sums of at most 784 squares: relative rounding below 784 x 2^-24 = 4.7e-5
        assertThat(carried[i] + holds.get(g)[i]).as("%s %s", g, i)
            .isCloseTo(was, within(1e-4f * was + 1e-9f));
      }
    }
    // input pixels were removed, so the units of the first layer lost their rows
    assertThat(in.length).isLessThan(784);
    assertThat(sum(after.carriedNorms().get("dense0"))).isPositive();
    // each removed weight is carried with Adam's moments its decay starts from, merged with its
    // neighbours in magnitude and second moment: a kept first-layer unit carries one weight per
    // removed input pixel that it had not yet driven to exactly 0
    HostTensor kernel = p.get("dense0/kernel");
    boolean[] pixelKept = new boolean[784];
    for (int i : in) {
      pixelKept[i] = true;
    }
    double[] counts = countsPerStructure(after.carriedNorms(), "dense0", d0.length);
    for (int i = 0; i < d0.length; i++) {
      int nonZero = 0;
      for (int r = 0; r < 784; r++) {
        if (!pixelKept[r] && kernel.get(r * kernel.dim(1) + d0[i]) != 0f) {
          nonZero++;
        }
      }
      assertThat(counts[i]).as("dense0 %s", i).isEqualTo(nonZero);
    }
    int removedPixels = 784 - in.length;
    assertThat(removedPixels).isPositive();
    assertThat(after.carriedNorms().get("dense0" + CarriedNorms.OWNER).length)
        .as("entries, merged").isLessThan(d0.length * removedPixels);
    assertThat(sum(after.carriedNorms().get("dense0" + CarriedNorms.SECOND_MOMENT))).isPositive();
    // and the frozen pixels' spike pulls them (the input group's 1 / (2 sigma0^2))
    assertThat(after.carriedNorms().get("dense0" + CarriedNorms.EXTRA)).containsOnly(
        (float) (0.5 / StructureWeights.scales(SPEC, "input").sigma0Squared()));
    // no first-layer unit was removed, so no pixel lost a weight
    assertThat(d0).hasSize(SPEC.layers().get(0).width());
    assertThat(after.carriedNorms().get("input" + CarriedNorms.OWNER)).isEmpty();

    // the smaller graph computes the same deterministic network, on real inputs: the same
    // non-zero terms summed in another order, so float32 rounding only (a few ulps of partial
    // sums of 784 terms), far below 1e-4 for logits of order 1 to 10
    float[] x = test.features(200);
    float[] a = logits(before, x, 200);
    float[] b = logits(after, x, 200);
    for (int i = 0; i < a.length; i++) {
      assertThat(b[i]).isCloseTo(a[i], within(1e-4f));
    }
    assertThat(ComplexityCounter.count(after.spec()).macs())
        .isLessThan(ComplexityCounter.count(SPEC).macs());
  }

  private static double sum(float[] v) {
    double t = 0;
    for (float f : v) {
      t += f;
    }
    return t;
  }

  /** The seeds the masks-only and rebuilt runs are compared at ({@link Seeds}). */
  static LongStream comparisonSeeds() {
    return Seeds.cheap();
  }

  /**
   * Masks only and rebuilds take different gate draws after the first rebuild (a rebuilt group
   * has fewer gates), so the two runs are two samples of the same training: they must agree
   * within the noise of two independent runs, for every seed.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("comparisonSeeds")
  void aRunWithRebuildsEndsWhereAMasksOnlyRunDoes(long seed) {
    ArrayData train = Mnist.train(3000);
    ArrayData test = Mnist.test(1000);
    TrainingResult masks = new PruningTrainer(config().seed(seed).rebuildThreshold(0).build(),
        null).train(SPEC, train, test);
    TrainingResult rebuilt = new PruningTrainer(config().seed(seed).rebuildThreshold(0.05)
        .build(), null).train(SPEC, train, test);
    EpochStats m = masks.history().get(masks.history().size() - 1);
    EpochStats r = rebuilt.history().get(rebuilt.history().size() - 1);
    int[] wm = masks.compactSpec().widths();
    int[] wr = rebuilt.compactSpec().widths();
    double accuracyBound = Noise.accuracyDifference(m.testAccuracy(), r.testAccuracy(),
        test.size());
    System.out.printf("RebuildTest seed %d: masks only %s acc %.4f; rebuilt %s acc %.4f; "
        + "|diff| %.4f, bound %.4f; width bounds %s; training MACs %s -> %s%n", seed,
        masks.compactSpec().widthString(), m.testAccuracy(), rebuilt.compactSpec().widthString(),
        r.testAccuracy(), Math.abs(r.testAccuracy() - m.testAccuracy()), accuracyBound,
        widthBounds(wm, wr), rebuilt.history().get(0).trainingMacs(), r.trainingMacs());
    // the rebuilt run really trained a smaller graph, one that still holds every live structure;
    // the masks-only run trained the full graph to the end
    long denseMacs = ComplexityCounter.count(SPEC).macs();
    assertThat(r.trainingMacs()).isLessThan(denseMacs)
        .isGreaterThanOrEqualTo(rebuilt.compactComplexity().macs());
    assertThat(m.trainingMacs()).isEqualTo(denseMacs);
    // the same structure within noise: each width differs by at most 4 standard deviations of a
    // difference of two widths whose structures survive independently at the pooled rate q,
    // 4 sqrt(2 N q (1 - q)) for a layer of N structures (Noise.widthDifference)
    for (int i = 0; i < wm.length; i++) {
      assertThat((double) Math.abs(wr[i] - wm[i])).as("width %s: %s vs %s", i, wr[i], wm[i])
          .isLessThanOrEqualTo(Noise.widthDifference(wm[i], wr[i], SPEC.widths()[i]));
    }
    // the same accuracy within noise: 4 standard errors of the difference of two accuracies on
    // n = 1000 test examples, 4 sqrt(2 p (1 - p) / n) at the pooled p (about 0.07 at p = 0.82)
    assertThat(Math.abs(r.testAccuracy() - m.testAccuracy())).isLessThanOrEqualTo(accuracyBound);
    // theta of both runs ends binary: at most 1% of the structures undecided
    assertThat(masks.binaryFraction()).isGreaterThanOrEqualTo(0.99);
    assertThat(rebuilt.binaryFraction()).isGreaterThanOrEqualTo(0.99);
  }

  private static String widthBounds(int[] a, int[] b) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < a.length; i++) {
      s.append(i == 0 ? "" : "-").append(String.format("%.0f",
          Noise.widthDifference(a[i], b[i], SPEC.widths()[i])));
    }
    return s.toString();
  }

  /** A small residual network: identity and projection blocks with block and filter gates. */
  private static final ArchitectureSpec RESNET = ArchitectureSpec.of("tiny-resnet",
      InputSpec.of(28, 28, 1), Conv2DLayer.bnRelu("stem", 8, 2).withGated(false),
      ResidualBlock.basic("s1b0", 8, 8, 1, true, true),
      ResidualBlock.basic("s1b1", 8, 8, 1, true, true),
      ResidualBlock.basic("s2b0", 8, 16, 2, true, true),
      ResidualBlock.basic("s2b1", 16, 16, 1, true, true),
      new GlobalAvgPoolLayer("gap"), DenseLayer.logits("output", 10));

  @Test
  void residualBlocksAndFiltersRemovedMidTrainingKeepTheNetworkAndItsState(@TempDir Path dir) {
    // two steps give every variable, Adam moment and batch-norm statistic a trained value; the
    // structures are switched off by hand, so nothing here depends on how well the run learned
    ArrayData train = Mnist.train(200);
    ArrayData test = Mnist.test(64);
    Path file = dir.resolve("run.ckpt");
    TrainerConfig cfg = TrainerConfig.builder().epochs(1).batchSize(100).seed(2)
        .evalBatchSize(64).rebuildThreshold(0)
        .checkpoint(CheckpointPolicy.everyEpoch(file, false)).build();
    new PruningTrainer(cfg, null).train(RESNET, train, test);
    TrainingState trained = Checkpoint.read(file,
        Checkpoint.RunKey.of(RESNET, cfg, train.size()), RESNET);
    // freeze: an identity block, a projection block (its projection stays), and three filters
    Map<String, HostTensor> params = new java.util.LinkedHashMap<>(trained.parameters().asMap());
    Map<String, float[]> masks = new java.util.LinkedHashMap<>(trained.masks());
    for (String block : java.util.List.of("s1b1", "s2b0")) {
      params.put(block + "/theta", new HostTensor(new long[] {1}, new float[] {0f}));
      masks.put(block, new float[] {0f});
    }
    float[] theta = params.get("s1b0_conv1/theta").values().clone();
    float[] mask = masks.get("s1b0_conv1").clone();
    for (int i : new int[] {1, 4, 6}) {
      theta[i] = 0f;
      mask[i] = 0f;
    }
    params.put("s1b0_conv1/theta", new HostTensor(new long[] {theta.length}, theta));
    masks.put("s1b0_conv1", mask);
    TrainingState before = new TrainingState(trained.structure(), new ParameterSet(params),
        com.google.common.collect.ImmutableMap.copyOf(masks), trained.zeroChecks(),
        trained.optimizers(), trained.priorCache(), trained.progress(), trained.carriedNorms());

    TrainingState after = new PruningTrainer(cfg, null).roundTrip(before.withoutFrozen(), train,
        test);

    assertThat(after.spec().layers()).extracting(l -> l.name()).containsExactly("stem", "s1b0",
        "s2b0_shortcut", "s2b1", "gap", "output");
    int[] kept = {0, 2, 3, 5, 7};
    ParameterSet p = before.parameters();
    ParameterSet q = after.parameters();
    assertThat(q.get("s1b0_conv1/kernel")).isEqualTo(p.get("s1b0_conv1/kernel").select(3, kept));
    assertThat(q.get("s1b0_conv2/kernel")).isEqualTo(p.get("s1b0_conv2/kernel").select(2, kept));
    for (String kind : java.util.List.of("gamma", "beta", "moving_mean", "moving_variance")) {
      assertThat(q.get("s1b0_conv1/" + kind)).isEqualTo(p.get("s1b0_conv1/" + kind)
          .select(0, kept));
    }
    assertThat(q.get("s2b0_shortcut/kernel")).isEqualTo(p.get("s2b0_shortcut/kernel"));
    assertThat(q.has("s1b1_conv1/kernel")).isFalse();
    assertThat(q.has("s2b0_conv2/gamma")).isFalse();
    Map<String, HostTensor> adam = before.optimizers().get("prune_step_optimizer");
    Map<String, HostTensor> adamAfter = after.optimizers().get("prune_step_optimizer");
    assertThat(adamAfter.get("s1b0_conv1/gamma/adam_v")).isEqualTo(
        adam.get("s1b0_conv1/gamma/adam_v").select(0, kept));
    assertThat(adamAfter).doesNotContainKey("s1b1_conv2/kernel/adam_m");
    // the rebuilt network computes what the masked one does (batch norm in inference mode); the
    // two graphs sum the same non-zero terms in another order (the masked one adds zeros too),
    // so they differ by float32 rounding only: a few ulps (2^-24 relative) of the largest partial
    // sums, far below 1e-4 for logits of order 1 to 10
    float[] x = test.features(64);
    float[] a = logits(before, x, 64);
    float[] b = logits(after, x, 64);
    for (int i = 0; i < a.length; i++) {
      assertThat(b[i]).isCloseTo(a[i], within(1e-4f));
    }
  }

  @Test
  void aResidualRunRebuildsAndStaysExportable() {
    ArrayData train = Mnist.train(3000);
    ArrayData test = Mnist.test(300);
    TrainerConfig cfg = TrainerConfig.builder().epochs(8).finetuneEpochs(3).batchSize(100)
        .seed(4).evalBatchSize(300).pruneCheckEvery(5)
        .pruningCondition(new PruningCondition(2, 1.0))
        // a short run that prunes part of the network and still learns: half of its MACs as a
        // budget (the controller finds the pressure; a fixed strength on a run this short and
        // small sits on a cliff between nothing frozen and every block closed)
        .budget(Budget.ofMacs(0.5)).build();
    TrainingResult r = new PruningTrainer(cfg, null).train(RESNET, train, test);
    EpochStats last = r.history().get(r.history().size() - 1);
    System.out.printf("tiny resnet with rebuilds: %s, training MACs %s -> %s, acc %.3f "
        + "(above chance: %.3f)%n", r.compactSpec().widthString(),
        r.history().get(0).trainingMacs(), last.trainingMacs(), last.testAccuracy(),
        Noise.aboveChance(test));
    // the run learned something (a pruned network at chance level would prove nothing): 4
    // standard errors above guessing the most frequent class on these 300 examples
    assertThat(last.testAccuracy()).isGreaterThanOrEqualTo(Noise.aboveChance(test));
    // it rebuilt: the last graph trained is smaller than the full one and holds the live network
    assertThat(last.trainingMacs()).isLessThan(ComplexityCounter.count(RESNET).macs())
        .isGreaterThanOrEqualTo(r.compactComplexity().macs());
    assertThat(r.keep().removed()).isPositive();
    assertThat(r.parameters().names()).containsAll(
        org.tfprune.build.ParameterInitializer.initialize(RESNET, 1, 1f).names());
    // the result of a run with rebuilds exports: the compact model computes the gated network
    // of the result on examples the exporter did not check, and counts the compact spec's MACs
    float[] other = java.util.Arrays.copyOfRange(test.features(200), 100 * 784, 200 * 784);
    var gated = org.tfprune.export.CompactExporter.gatedLogits(r.spec(), r.parameters(), other,
        100);
    // batch norm kept as its own op, so the graph counts exactly the trainer's compact spec
    try (var verified = org.tfprune.export.CompactExporter.compact(r.spec(), r.parameters(),
        r.keep(), test.features(100), 100, org.tfprune.export.ServingSignature.DEFAULT,
        org.tfprune.export.ExportSettings.UNFOLDED)) {
      assertThat(verified.model().predict(other, 100).maxAbsDiff(gated))
          .isLessThanOrEqualTo(org.tfprune.export.CompactExporter.DEFAULT_TOLERANCE);
      assertThat(org.tfprune.export.SavedModelInspector.of(verified.model().graphDef())
          .complexity()).isEqualTo(r.compactComplexity());
    }
  }

  /** Deterministic logits of a state's network. */
  private static float[] logits(TrainingState s, float[] x, int n) {
    try (Graph g = new Graph(); Session session = new Session(g)) {
      Ops tf = Ops.create(g);
      NetworkGraph net = NetworkBuilder.build(tf, s.spec(), true, 1);
      var out = net.forward(GateMode.DETERMINISTIC, false, "eval").logits();
      Map<String, HostTensor> values = new java.util.LinkedHashMap<>(s.parameters().asMap());
      s.masks().forEach((k, m) -> values.put(ParameterSet.key(k, NetworkGraph.MASK),
          new HostTensor(new long[] {m.length}, m)));
      net.initialize(session, new ParameterSet(values));
      long[] shape = new long[s.spec().input().shape().size() + 1];
      shape[0] = n;
      for (int i = 1; i < shape.length; i++) {
        shape[i] = s.spec().input().shape().get(i - 1);
      }
      try (var xt = Tf.tensor(x, shape);
          Result r = session.runner().feed(net.input(), xt).fetch(out).run()) {
        return Tf.values(r.get(0));
      }
    }
  }

  /** The number of carried weights per structure of {@code group}, summed over its entries. */
  private static double[] countsPerStructure(Map<String, float[]> carried, String group,
      int size) {
    double[] c = new double[size];
    float[] owners = carried.get(group + CarriedNorms.OWNER);
    float[] counts = carried.get(group + CarriedNorms.COUNT);
    for (int e = 0; e < owners.length; e++) {
      c[(int) owners[e]] += counts[e];
    }
    return c;
  }
}
