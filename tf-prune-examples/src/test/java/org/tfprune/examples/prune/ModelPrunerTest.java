package org.tfprune.examples.prune;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Signature;
import org.tensorflow.types.TFloat32;
import org.tfprune.examples.data.Datasets;
import org.tfprune.examples.report.RunReport;
import org.tfprune.loss.PruningKnobs;
import org.tfprune.slice.HostTensor;
import org.tfprune.testing.ForeignModels;
import org.tfprune.testing.Mnist;
import org.tfprune.testing.Tf;
import org.tfprune.train.OptimizerSpec;
import org.tfprune.train.TrainerConfig;

/** The one-call Java API on the residual conv net another team built. */
class ModelPrunerTest {
  @Test
  void aResidualNetIsPrunedFromItsWeightsAndKeepsItsInterface(@TempDir Path tmp) {
    Datasets.Split mnist = Datasets.load(Datasets.MNIST);
    Datasets.Split data = new Datasets.Split(mnist.train().head(640), mnist.test().head(500));
    TrainerConfig config = TrainerConfig.builder().knobs(new PruningKnobs(4, 0.5, 0.5))
        .epochs(2).finetuneEpochs(0).batchSize(64).optimizer(OptimizerSpec.adam(1e-3, 1e-5))
        .thetaOptimizer(TrainerConfig.ThetaOptimizer.ADAM).thetaLearningRate(0.05).build();
    StringWriter log = new StringWriter();
    Path out = tmp.resolve("resnet-pruned");
    RunReport report = new ModelPruner(config, ModelPruner.Options.DEFAULT
        .withLatency(new int[] {1}, 100), new PrintWriter(log, true))
        .prune(ForeignModels.residualNet(), "mnist", data, out);

    assertThat(report.imported().maxAbsDiff()).isLessThanOrEqualTo(1e-6);
    assertThat(report.imported().checkedExamples()).isEqualTo(500);
    assertThat(report.export().maxAbsDiff()).isLessThanOrEqualTo(1e-5);
    assertThat(report.export().graphMacs()).isEqualTo(report.compact().macs());
    assertThat(report.compact().macs()).isLessThanOrEqualTo(report.dense().macs());
    assertThat(log.toString()).contains("signature 'serving_default'");

    float[] x = Mnist.test(20).features(20);
    try (SavedModelBundle b = SavedModelBundle.load(out.toString(), "serve");
        TFloat32 xt = Tf.tensor(x, 20, 28, 28, 1);
        Result r = b.function(ForeignModels.NET_SIGNATURE).call(
            Map.of(ForeignModels.NET_INPUT_KEY, xt))) {
      Signature sig = b.function(ForeignModels.NET_SIGNATURE).signature();
      assertThat(sig.getInputs().get(ForeignModels.NET_INPUT_KEY).name)
          .isEqualTo(ForeignModels.NET_INPUT + ":0");
      assertThat(sig.getOutputs()).containsOnlyKeys(ForeignModels.NET_PROBS);
      assertThat(sig.getOutputs().get(ForeignModels.NET_PROBS).name)
          .isEqualTo(ForeignModels.NET_PROBS + ":0");
      HostTensor probs = HostTensor.of((TFloat32) r.get(ForeignModels.NET_PROBS).orElseThrow());
      assertThat(probs.shape()).containsExactly(20, 10);
      for (int i = 0; i < 20; i++) {
        double sum = 0;
        for (int k = 0; k < 10; k++) {
          sum += probs.get(i * 10 + k);
        }
        assertThat(sum).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-5));
      }
    }
  }
}
