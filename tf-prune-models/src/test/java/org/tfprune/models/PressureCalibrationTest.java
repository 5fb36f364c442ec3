package org.tfprune.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import org.tfprune.loss.ComplexityAwareLoss;
import org.tfprune.loss.PressureCalibration;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.train.TrainerConfig;

/** One calibration for every reference network, from its own cost structure. */
class PressureCalibrationTest {
  private static ArchitectureSpec mnist(String name) {
    return Models.create(name, new int[] {28, 28, 1}, 10, 1.0);
  }

  @Test
  void lenet300100KeepsTheComplexityWeightItWasMeasuredWith() {
    // the anchor of strength 1: K = 6.25 on LeNet-300-100 at flopsShare 0.5
    assertThat(PressureCalibration.of(mnist("lenet-300-100"), 0.5).complexityWeight())
        .isCloseTo(ComplexityAwareLoss.COMPLEXITY_WEIGHT, within(1e-9));
  }

  @Test
  void aFilterSeesThePressureOfItsShareOfItsLayerWhateverTheDepth() {
    // a stage-1 inner filter of ResNet-20 and of ResNet-56 holds the same fraction of its
    // layer's cost; the network's share of it is 3x smaller in the deeper one, K 3x larger
    PressureCalibration r20 = PressureCalibration.of(mnist("resnet-20"), 0.5);
    PressureCalibration r56 = PressureCalibration.of(mnist("resnet-56"), 0.5);
    double p20 = r20.complexityWeight() * r20.groupShares().get("s1b0_conv1") / 16;
    double p56 = r56.complexityWeight() * r56.groupShares().get("s1b0_conv1") / 16;
    // they differ only by the stem's and the projections' share of the total (a few percent)
    assertThat(p56 / p20).isCloseTo(1.0, within(0.05));
    // without the depth factor the deeper network's filter would see a third of the pressure
    assertThat(r56.groupShares().get("s1b0_conv1") / r20.groupShares().get("s1b0_conv1"))
        .isLessThan(0.4);
  }

  @Test
  void thetaOptimizerIsChosenFromTheLayerKindsAndTheSpreadOfCostPerStructure() {
    TrainerConfig auto = TrainerConfig.builder().build();
    assertThat(auto.resolvedThetaOptimizer(mnist("lenet-300-100")))
        .isEqualTo(TrainerConfig.ThetaOptimizer.SGD);
    assertThat(auto.resolvedThetaOptimizer(mnist("lenet-5")))
        .isEqualTo(TrainerConfig.ThetaOptimizer.ADAM);
    assertThat(auto.resolvedThetaOptimizer(mnist("resnet-20")))
        .isEqualTo(TrainerConfig.ThetaOptimizer.ADAM);
    assertThat(auto.resolvedThetaLearningRate(mnist("lenet-5")))
        .isEqualTo(TrainerConfig.ADAM_THETA_LEARNING_RATE);
    // a conv net gets Adam even where its cost per structure is as even as an MLP's
    ArchitectureSpec vgg = Models.create("vgg-16", new int[] {32, 32, 3}, 10, 1.0);
    assertThat(PressureCalibration.of(vgg, 0.5).costSpread())
        .isLessThan(PressureCalibration.SGD_MAX_SPREAD);
    assertThat(auto.resolvedThetaOptimizer(vgg)).isEqualTo(TrainerConfig.ThetaOptimizer.ADAM);
    // LeNet-300-100's SGD step is the one it was calibrated with
    assertThat(auto.resolvedThetaLearningRate(mnist("lenet-300-100"))).isCloseTo(1.0,
        within(1e-9));
    // an expert's choice stands
    TrainerConfig sgd = TrainerConfig.builder()
        .thetaOptimizer(TrainerConfig.ThetaOptimizer.SGD).thetaLearningRate(0.5).build();
    assertThat(sgd.resolvedThetaOptimizer(mnist("resnet-20")))
        .isEqualTo(TrainerConfig.ThetaOptimizer.SGD);
    assertThat(sgd.resolvedThetaLearningRate(mnist("resnet-20"))).isEqualTo(0.5);
  }
}
