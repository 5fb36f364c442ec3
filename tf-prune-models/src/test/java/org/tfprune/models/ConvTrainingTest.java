package org.tfprune.models;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.tfprune.export.CompactExporter;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.LayerSpec;
import org.tfprune.spec.ResidualBlock;
import org.tfprune.testing.ArrayData;
import org.tfprune.testing.Mnist;
import org.tfprune.train.PruningTrainer;
import org.tfprune.train.TrainerConfig;
import org.tfprune.train.TrainingResult;
import org.tfprune.loss.PruningKnobs;

/**
 * Training conv and residual networks with gates: batch norm's moving statistics are learned,
 * the network learns, a block whose inner filters all closed is closed too, and the trained
 * network exports exactly.
 */
class ConvTrainingTest {
  private static final ArrayData TRAIN = Mnist.train(2000);
  private static final ArrayData TEST = Mnist.test(300);


  @Test
  void gatedResNetLearnsUpdatesBatchNormAndStaysExportable() {
    ArchitectureSpec spec = ResNet.create(20, 28, 28, 1, 10, 0.5);
    TrainerConfig config = TrainerConfig.builder().epochs(3).finetuneEpochs(1).batchSize(100)
        .knobs(PruningKnobs.defaults().withStrength(4))
        .thetaOptimizer(TrainerConfig.ThetaOptimizer.ADAM).thetaLearningRate(0.05).seed(5)
        .build();
    TrainingResult r = new PruningTrainer(config, null).train(spec, TRAIN, TEST);

    assertThat(r.testAccuracy()).isGreaterThan(0.3);
    float[] mean = r.parameters().get("stem", ParameterSet.MOVING_MEAN).values();
    float[] var = r.parameters().get("stem", ParameterSet.MOVING_VARIANCE).values();
    assertThat(mean).as("moving means left their start, 0").isNotEqualTo(new float[mean.length]);
    assertThat(var[0]).as("moving variance left its start, 1").isNotEqualTo(1f);
    for (LayerSpec l : spec.layers()) {
      if (l instanceof ResidualBlock b && r.keep().count(b.conv1().name()) == 0) {
        assertThat(r.keep().flags(b.name())[0])
            .as("block %s has no live filter, so it is dead", b.name()).isFalse();
      }
    }
    float[] x = TEST.features(64);
    try (CompactExporter.VerifiedModel m = CompactExporter.compact(r.spec(), r.parameters(),
        r.keep(), x, 64, CompactExporter.DEFAULT_TOLERANCE)) {
      assertThat(m.maxAbsDiff()).isLessThanOrEqualTo(1e-5);
    }
  }

  @Test
  void gatedLeNet5LearnsAndPrunesFilters() {
    ArchitectureSpec spec = LeNet5.create();
    TrainerConfig config = TrainerConfig.builder().epochs(3).finetuneEpochs(1).batchSize(100)
        .knobs(PruningKnobs.defaults().withStrength(2))
        .thetaOptimizer(TrainerConfig.ThetaOptimizer.ADAM).seed(3).build();
    TrainingResult r = new PruningTrainer(config, null).train(spec, TRAIN, TEST);
    assertThat(r.testAccuracy()).isGreaterThan(0.8);
    assertThat(r.compactComplexity().macs()).isLessThan(r.denseComplexity().macs());
    assertThat(r.binaryFraction()).isGreaterThanOrEqualTo(0.9);
  }
}
