package org.tfprune.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
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
import org.tfprune.loss.PruningKnobs;
import org.tfprune.op.GateMode;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.KeepMask;
import org.tfprune.testing.ArrayData;
import org.tfprune.testing.Mnist;
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

    // the smaller graph computes the same deterministic network, on real inputs
    float[] x = test.features(200);
    float[] a = logits(before, x, 200);
    float[] b = logits(after, x, 200);
    for (int i = 0; i < a.length; i++) {
      assertThat(b[i]).isCloseTo(a[i], within(1e-4f));
    }
    assertThat(ComplexityCounter.count(after.spec()).macs())
        .isLessThan(ComplexityCounter.count(SPEC).macs());
  }

  @Test
  void aRunWithRebuildsEndsWhereAMasksOnlyRunDoes() {
    ArrayData train = Mnist.train(3000);
    ArrayData test = Mnist.test(1000);
    TrainingResult masks = new PruningTrainer(config().rebuildThreshold(0).build(), null)
        .train(SPEC, train, test);
    TrainingResult rebuilt = new PruningTrainer(config().rebuildThreshold(0.05).build(), null)
        .train(SPEC, train, test);
    EpochStats m = masks.history().get(masks.history().size() - 1);
    EpochStats r = rebuilt.history().get(rebuilt.history().size() - 1);
    System.out.printf("masks only: %s %.4f; rebuilt: %s %.4f (training MACs %s -> %s)%n",
        masks.compactSpec().widthString(), m.testAccuracy(), rebuilt.compactSpec().widthString(),
        r.testAccuracy(), rebuilt.history().get(0).trainingMacs(), r.trainingMacs());
    // the rebuilt run really trained a smaller graph
    assertThat(r.trainingMacs()).isLessThan(0.5 * rebuilt.history().get(0).trainingMacs());
    assertThat(m.trainingMacs()).isEqualTo(masks.history().get(0).trainingMacs());
    // and reached the same structure and accuracy, within the noise of different gate draws
    int[] wm = masks.compactSpec().widths();
    int[] wr = rebuilt.compactSpec().widths();
    for (int i = 0; i < wm.length; i++) {
      assertThat((double) wr[i]).as("width %s", i).isCloseTo(wm[i], within(2 + 0.15 * wm[i]));
    }
    assertThat(r.testAccuracy()).isCloseTo(m.testAccuracy(), within(0.02));
    assertThat(rebuilt.binaryFraction()).isGreaterThanOrEqualTo(0.99);
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
      try (var xt = Tf.tensor(x, n, 784);
          Result r = session.runner().feed(net.input(), xt).fetch(out).run()) {
        return Tf.values(r.get(0));
      }
    }
  }
}
