package org.tfprune.examples.prune;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tfprune.examples.data.Datasets;
import org.tfprune.examples.report.RunReport;
import org.tfprune.loss.PruningKnobs;
import org.tfprune.testing.LayerKindModels;
import org.tfprune.testing.LayerKindModels.Kind;
import org.tfprune.train.OptimizerSpec;
import org.tfprune.train.TrainerConfig;

/**
 * A short prune run on each layer kind of {@link LayerKindModels}: the import reproduces the
 * original, training removes structures, the export equals the gated network within its rounding
 * bound, and the report's counts are the exported graph's.
 */
class LayerKindPruneTest {
  /**
   * The training seed: 1, or {@code TF_PRUNE_TEST_SEED} (the assertions on the outcome hold for
   * seeds 1, 2 and 3; run them with that variable set to check another seed).
   */
  private static final long SEED =
      Long.parseLong(System.getenv().getOrDefault("TF_PRUNE_TEST_SEED", "1"));

  @ParameterizedTest
  @EnumSource(Kind.class)
  void aShortPruneRemovesStructuresAndExportsWhatTheGatedNetworkComputes(Kind kind,
      @TempDir Path tmp) {
    Datasets.Split mnist = Datasets.load(Datasets.MNIST);
    Datasets.Split data = new Datasets.Split(mnist.train().head(640), mnist.test().head(500));
    // a strong penalty, so that 30 steps close gates on every fixture
    TrainerConfig config = TrainerConfig.builder().knobs(new PruningKnobs(16, 0.5, 0.5))
        .epochs(3).finetuneEpochs(0).batchSize(64).optimizer(OptimizerSpec.adam(1e-3, 1e-5))
        .thetaOptimizer(TrainerConfig.ThetaOptimizer.ADAM).thetaLearningRate(0.05)
        .seed(SEED).build();
    StringWriter log = new StringWriter();
    RunReport report = new ModelPruner(config, ModelPruner.Options.DEFAULT
        .withLatency(new int[] {1}, 10), new PrintWriter(log, true))
        .prune(LayerKindModels.model(kind), "mnist", data, tmp.resolve("pruned"));

    assertThat(report.imported().maxAbsDiff()).isLessThanOrEqualTo(report.imported()
        .tolerance());
    assertThat(report.gates().structuresRemoved()).as(log.toString()).isPositive();
    assertThat(report.compact().macs()).isLessThan(report.dense().macs());
    assertThat(report.export().maxAbsDiff()).isLessThanOrEqualTo(report.export().tolerance());
    assertThat(report.export().graphMacs()).isEqualTo(report.compact().macs());
    assertThat(report.export().graphParams()).isEqualTo(report.compact().params());
    assertThat(tmp.resolve("pruned").resolve("saved_model.pb")).isRegularFile();
  }
}
