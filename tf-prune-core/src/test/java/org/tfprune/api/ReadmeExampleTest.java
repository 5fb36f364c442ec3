package org.tfprune.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Signature;
import org.tensorflow.types.TFloat32;
import org.tfprune.loss.PruningKnobs;
import org.tfprune.slice.HostTensor;
import org.tfprune.testing.ArrayData;
import org.tfprune.testing.ForeignModels;
import org.tfprune.testing.Mnist;
import org.tfprune.testing.Tf;
import org.tfprune.train.EpochStats;
import org.tfprune.train.TrainerConfig;
import org.tfprune.train.TrainingData;
import org.tfprune.train.TrainingListener;

/**
 * The README's example of the API, verbatim between the markers: wraps another team's SavedModel
 * (a small MLP), prunes it on in-memory data with the knobs and exports it with its interface.
 */
class ReadmeExampleTest {
  @Test
  void theReadmeExampleWrapsPrunesAndExportsASavedModel(@TempDir Path tmp) {
    Path savedModel = tmp.resolve("their-model");
    ForeignModels.writeMlp(savedModel, new ForeignModels.Training(600, 1, 100, 0.1f, 7));
    Path out = tmp.resolve("their-model-pruned");
    ArrayData trainSet = Mnist.train(300);
    ArrayData testSet = Mnist.test(200);
    float[] trainFeatures = trainSet.features();
    int[] trainLabels = trainSet.labels();
    float[] testFeatures = testSet.features();
    int[] testLabels = testSet.labels();
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    PrintStream console = System.out;
    System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
    try {
      // README-SNIPPET-BEGIN
      // your data: features row-major (one row of 784 values per example), labels 0..9
      TrainingData train = TrainingData.of(trainFeatures, trainLabels, 10);
      TrainingData test = TrainingData.of(testFeatures, testLabels, 10);
      TrainerConfig config = TrainerConfig.builder()
          .knobs(new PruningKnobs(2, 0.5, 0.5)) // strength, FLOPs share, layer share
          .epochs(3).finetuneEpochs(1).batchSize(50) // a real run takes tens of epochs
          .build();
      try (PrunedModel pruned = TfPrune.wrap(savedModel) // TF-Java or TF2 SavedModel, or frozen .pb
          .withConfig(config)
          .withListener(new TrainingListener() {
            @Override
            public void onEpoch(EpochStats e) {
              System.out.printf("epoch %d: accuracy %.3f, MACs %.1f%%%n", e.epoch(),
                  e.testAccuracy(), 100 * e.macsFraction());
            }
          })
          .prune(train, test)) {
        System.out.printf("compact %s: %.1f%% of the MACs, accuracy %.3f%n",
            pruned.model().spec().widthString(), 100 * pruned.macsRatio(), pruned.accuracy(test));
        pruned.export(out); // same signature, input and output names as the original
      }
      // README-SNIPPET-END
    } finally {
      System.setOut(console);
    }

    String text = printed.toString(StandardCharsets.UTF_8);
    console.print(text);
    assertThat(text).containsPattern("epoch 1: accuracy 0\\.\\d{3}, MACs \\d+\\.\\d%")
        .containsPattern("epoch 3: accuracy 0\\.\\d{3}, MACs \\d+\\.\\d%")
        .containsPattern("compact \\d+-\\d+-\\d+-10: \\d+\\.\\d% of the MACs, accuracy 0\\.\\d{3}");
    float[] x = testSet.features(20);
    try (SavedModelBundle b = SavedModelBundle.load(out.toString(), "serve");
        TFloat32 xt = Tf.tensor(x, 20, 784);
        Result r = b.function(ForeignModels.MLP_SIGNATURE).call(
            Map.of(ForeignModels.MLP_INPUT_KEY, xt))) {
      Signature sig = b.function(ForeignModels.MLP_SIGNATURE).signature();
      assertThat(sig.getInputs().get(ForeignModels.MLP_INPUT_KEY).name)
          .isEqualTo(ForeignModels.MLP_INPUT + ":0");
      assertThat(sig.getOutputs()).containsOnlyKeys(ForeignModels.MLP_SCORES,
          ForeignModels.MLP_LOGITS_KEY);
      HostTensor scores = HostTensor.of(
          (TFloat32) r.get(ForeignModels.MLP_SCORES).orElseThrow());
      assertThat(scores.shape()).containsExactly(20, 10);
    }
  }
}
