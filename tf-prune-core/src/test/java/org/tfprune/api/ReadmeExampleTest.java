package org.tfprune.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Signature;
import org.tensorflow.types.TFloat32;
import org.tfprune.data.Batch;
import org.tfprune.data.BatchReader;
import org.tfprune.data.DataLoader;
import org.tfprune.data.StreamedData;
import org.tfprune.loss.PruningKnobs;
import org.tfprune.slice.HostTensor;
import org.tfprune.testing.ArrayData;
import org.tfprune.testing.ForeignModels;
import org.tfprune.testing.Mnist;
import org.tfprune.testing.ReadmeSnippets;
import org.tfprune.testing.Tf;
import org.tfprune.train.EpochStats;
import org.tfprune.train.TrainerConfig;
import org.tfprune.train.TrainingData;
import org.tfprune.train.TrainingListener;

/**
 * The README's examples of the API, verbatim between the markers (each test checks that the README
 * shows its lines as they are): wraps another team's SavedModel (a small MLP), prunes it on
 * in-memory data with the knobs and exports it with its interface; and the same from batches a
 * program makes on the fly, streamed.
 */
class ReadmeExampleTest {
  @Test
  void theReadmeShowsTheExamplesOfThisTestVerbatim() {
    ReadmeSnippets.assertInReadme(ReadmeExampleTest.class, "wrap");
    ReadmeSnippets.assertInReadme(ReadmeExampleTest.class, "batches");
  }

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
      // README-SNIPPET-BEGIN wrap
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
      // README-SNIPPET-END wrap
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

  private static final ArrayData BATCH_SOURCE = Mnist.train(800);

  /** 600 MNIST examples made one batch of 50 at a time, as a program's own source might. */
  private static Iterator<Batch> myTrainBatches() {
    return batches(0, 600);
  }

  /** 200 further MNIST examples, one batch of 50 at a time. */
  private static Iterator<Batch> myTestBatches() {
    return batches(600, 800);
  }

  private static Iterator<Batch> batches(int from, int to) {
    return IntStream.iterate(from, s -> s < to, s -> s + 50).mapToObj(s -> {
      int[] idx = IntStream.range(s, s + 50).toArray();
      float[] x = new float[50 * 784];
      float[] oneHot = new float[50 * 10];
      BATCH_SOURCE.fill(idx, x, oneHot);
      int[] labels = new int[50];
      for (int i = 0; i < 50; i++) {
        for (int c = 0; c < 10; c++) {
          labels[i] = oneHot[i * 10 + c] == 1f ? c : labels[i];
        }
      }
      return Batch.of(x, labels);
    }).iterator();
  }

  @Test
  void theReadmeExamplePrunesOnBatchesAProgramMakesStreamingThem(@TempDir Path tmp) {
    Path savedModel = tmp.resolve("their-model");
    ForeignModels.writeMlp(savedModel, new ForeignModels.Training(600, 1, 100, 0.1f, 7));
    Path out = tmp.resolve("their-model-pruned");
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    PrintStream console = System.out;
    System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
    try {
      // README-SNIPPET-BEGIN batches
      // your batches, made as they are read (from files, a database, a generator): each call of
      // iterator() is one pass over the same examples in the same order; a TF-Java Dataset
      // (eager) works too: DatasetBatches.of(dataset.batch(50))
      Iterable<Batch> trainBatches = () -> myTrainBatches(); // Batch.of(float[] or TFloat32, int[])
      Iterable<Batch> testBatches = () -> myTestBatches();
      int[] shape = {784};                                    // one example, e.g. {28, 28, 1}
      DataLoader.Options options = DataLoader.Options.of(shape, 10, 50, 1); // classes, batch, seed
      TrainerConfig config = TrainerConfig.builder().epochs(3).finetuneEpochs(1).batchSize(50)
          .build();
      // streamed: read in shuffled batches each epoch, never held whole in memory
      try (StreamedData train = DataLoader.stream(BatchReader.of("my-train", shape, trainBatches),
              options);
          PrunedModel pruned = TfPrune.wrap(savedModel).withConfig(config).prune(train,
              DataLoader.loadForEvaluation(BatchReader.of("my-test", shape, testBatches),
                  options))) {
        System.out.printf("%d batches read, compact %s%n", train.stats().batches(),
            pruned.model().spec().widthString());
        pruned.export(out);
      }
      // README-SNIPPET-END batches
    } finally {
      System.setOut(console);
    }
    String text = printed.toString(StandardCharsets.UTF_8);
    console.print(text);
    // 600 examples in batches of 50 for 3 epochs: every step took its batch from the stream
    assertThat(text).containsPattern("^36 batches read, compact \\d+-\\d+-\\d+-10\\R");
    assertThat(out.resolve("saved_model.pb")).isRegularFile();
  }
}
