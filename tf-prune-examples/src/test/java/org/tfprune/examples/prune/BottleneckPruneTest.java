package org.tfprune.examples.prune;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
 * A short prune run on ResNet50-like and ResNet50V2-like bottleneck stages: both the first 1x1
 * convs' filters and the middle 3x3 convs' filters are pruned, and the export equals the gated
 * network within its bound with the report's counts.
 */
class BottleneckPruneTest {
  private static final List<String> BLOCKS = List.of("conv2_block1", "conv2_block2");

  @ParameterizedTest
  @EnumSource(value = Kind.class, names = {"BOTTLENECK_V1", "BOTTLENECK_V2"})
  void aShortPrunePrunesTheFirstAndTheMiddleConvs(Kind kind, @TempDir Path tmp) {
    Datasets.Split mnist = Datasets.load(Datasets.MNIST);
    Datasets.Split data = new Datasets.Split(mnist.train().head(640), mnist.test().head(500));
    TrainerConfig config = TrainerConfig.builder().knobs(new PruningKnobs(16, 0.5, 0.5))
        .epochs(3).finetuneEpochs(0).batchSize(64).optimizer(OptimizerSpec.adam(1e-3, 1e-5))
        .thetaOptimizer(TrainerConfig.ThetaOptimizer.ADAM).thetaLearningRate(0.05).seed(1)
        .build();
    StringWriter log = new StringWriter();
    RunReport report = new ModelPruner(config, ModelPruner.Options.DEFAULT
        .withLatency(new int[] {1}, 10), new PrintWriter(log, true))
        .prune(LayerKindModels.model(kind), "mnist", data, tmp.resolve("pruned"));

    assertThat(report.imported().maxAbsDiff()).isLessThanOrEqualTo(report.imported()
        .tolerance());
    Map<String, Integer> dense = report.dense().widthPerLayer();
    Map<String, Integer> compact = report.compact().widthPerLayer();
    int firstDense = 0;
    int firstCompact = 0;
    int middleDense = 0;
    int middleCompact = 0;
    for (String b : BLOCKS) { // a removed block keeps none of its filters
      firstDense += dense.get(b);
      firstCompact += compact.getOrDefault(b, 0);
      middleDense += dense.get(b + "_2");
      middleCompact += compact.getOrDefault(b + "_2", 0);
    }
    assertThat(firstDense).isEqualTo(12);
    assertThat(middleDense).isEqualTo(12);
    assertThat(firstCompact).as(log.toString()).isLessThan(firstDense);
    assertThat(middleCompact).as(log.toString()).isLessThan(middleDense);
    assertThat(report.export().maxAbsDiff()).isLessThanOrEqualTo(report.export().tolerance());
    assertThat(report.export().graphMacs()).isEqualTo(report.compact().macs());
    assertThat(report.export().graphParams()).isEqualTo(report.compact().params());
  }
}
