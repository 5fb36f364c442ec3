package org.tfprune.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tfprune.loss.PruningKnobs;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.InputSpec;
import org.tfprune.testing.ArrayData;
import org.tfprune.testing.Mnist;
import org.tfprune.train.PruningTrainer;
import org.tfprune.train.TrainerConfig;
import org.tfprune.train.TrainingData;
import org.tfprune.train.TrainingResult;

class BatchReaderTest {
  static final ArchitectureSpec SPEC = ArchitectureSpec.of("lenet-30-10", InputSpec.flat(784,
      true), DenseLayer.gatedRelu("dense0", 30), DenseLayer.gatedRelu("dense1", 10),
      DenseLayer.logits("output", 10));

  /** The MNIST examples {@code [from, to)} as batches of 100, the way a program might hold them. */
  static List<Batch> myBatches(int from, int to) {
    ArrayData mnist = Mnist.train(to);
    List<Batch> batches = new ArrayList<>();
    for (int start = from; start < to; start += 100) {
      int[] idx = java.util.stream.IntStream.range(start, Math.min(to, start + 100)).toArray();
      float[] x = new float[idx.length * 784];
      float[] oneHot = new float[idx.length * 10];
      mnist.fill(idx, x, oneHot);
      int[] labels = new int[idx.length];
      for (int i = 0; i < idx.length; i++) {
        for (int c = 0; c < 10; c++) {
          labels[i] = oneHot[i * 10 + c] == 1f ? c : labels[i];
        }
      }
      batches.add(Batch.of(x, labels));
    }
    return batches;
  }

  static TrainerConfig config() {
    return TrainerConfig.builder().knobs(PruningKnobs.defaults()).epochs(1).batchSize(100)
        .seed(3).evalBatchSize(500).build();
  }

  @Test
  void aJavaProgramTrainsOnItsOwnBatchesWithoutWritingFiles() {
    // --- the example: a TF-Java program's own batches (float[] images + int labels) ---
    Iterable<Batch> trainBatches = myBatches(0, 1000);
    Iterable<Batch> evalBatches = myBatches(1000, 1500);
    DataLoader.Options options = DataLoader.Options.of(new int[] {784}, 10, 100, 3);
    TrainingData train = DataLoader.load(BatchReader.of("my-train", new int[] {784},
        trainBatches), options);
    TrainingData eval = DataLoader.loadForEvaluation(BatchReader.of("my-eval",
        new int[] {784}, evalBatches), options);
    TrainingResult result = new PruningTrainer(config(), null).train(SPEC, train, eval);
    // --- end of the example ---

    // the same examples given as arrays train to the very same run
    ArrayData arrays = Mnist.train(1500);
    TrainingResult same = new PruningTrainer(config(), null).train(SPEC,
        slice(arrays, 0, 1000), slice(arrays, 1000, 1500));
    assertThat(result.history().get(0).dataLoss()).isEqualTo(same.history().get(0).dataLoss());
    assertThat(result.testAccuracy()).isEqualTo(same.testAccuracy());
  }

  @Test
  void batchesFromTensorsCopyTheirValues() {
    float[] values = new float[2 * 784];
    values[784 + 5] = 0.25f;
    try (TFloat32 t = TFloat32.tensorOf(Shape.of(2, 28, 28, 1), DataBuffers.of(values))) {
      Batch b = Batch.of(t, new int[] {3, 4});
      InMemoryData d = DataLoader.readAll(BatchReader.of("t", new int[] {28, 28, 1},
          List.of(b)), 10);
      assertThat(d.features()).isEqualTo(values);
      assertThat(d.labels()).containsExactly(3, 4);
    }
  }

  @Test
  void aBatchOfTheWrongWidthNamesItsFirstExampleAndTheShape() {
    List<Batch> batches = List.of(Batch.of(new float[4], new int[] {0, 1}),
        Batch.of(new float[6], new int[] {0, 1}));
    assertThatThrownBy(() -> BatchReader.of("mine", new int[] {2}, batches))
        .isInstanceOf(ShapeMismatchException.class).hasMessageContaining("mine: record 2")
        .hasMessageContaining("6 values for 2 examples");
  }

  private static ArrayData slice(ArrayData d, int from, int to) {
    int n = to - from;
    float[] x = new float[n * 784];
    float[] y = new float[n * 10];
    d.fill(java.util.stream.IntStream.range(from, to).toArray(), x, y);
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < 10; c++) {
        labels[i] = y[i * 10 + c] == 1f ? c : labels[i];
      }
    }
    return new ArrayData(x, labels, 784, 10);
  }

  @Test
  void streamedDataFeedsTheTrainerOneBatchPerStepAndEvaluatesInOrder() throws Exception {
    DataLoader.Options options = DataLoader.Options.of(new int[] {784}, 10, 100, 3)
        .withForceStream(true);
    try (StreamedData train = (StreamedData) DataLoader.load(BatchReader.of("my-train",
            new int[] {784}, myBatches(0, 1050)), options);
        StreamedData eval = (StreamedData) DataLoader.loadForEvaluation(BatchReader.of("my-eval",
            new int[] {784}, myBatches(1000, 1500)), options)) {
      TrainingResult r = new PruningTrainer(config(), null).train(SPEC, train, eval);
      // 1050 examples in batches of 100: 10 steps, the last 50 examples dropped as in memory
      assertThat(train.stats().batches()).isEqualTo(10);
      assertThat(r.history()).hasSize(1);
      // evaluation reads all 500 examples in order, in batches of the evaluation batch size
      assertThat(eval.stats().batches()).isEqualTo(1);
    }
  }
}
