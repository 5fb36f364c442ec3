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

  /** Batches of {@code 100} synthetic examples made on each call of next(), counted per pass. */
  private static final class MadeOnTheFly implements Iterable<Batch> {
    final int batches;
    final java.util.concurrent.atomic.AtomicLong madeThisPass =
        new java.util.concurrent.atomic.AtomicLong();

    MadeOnTheFly(int batches) {
      this.batches = batches;
    }

    @Override
    public java.util.Iterator<Batch> iterator() {
      madeThisPass.set(0);
      return new java.util.Iterator<>() {
        int k;

        @Override
        public boolean hasNext() {
          return k < batches;
        }

        @Override
        public Batch next() {
          java.util.SplittableRandom r = new java.util.SplittableRandom(k);
          float[] x = new float[100 * 784];
          int[] y = new int[100];
          for (int i = 0; i < 100; i++) {
            y[i] = r.nextInt(10);
            for (int j = 0; j < 784; j++) {
              x[i * 784 + j] = (j % 10 == y[i] ? 0.5f : 0f) + (float) r.nextDouble() * 0.5f;
            }
          }
          k++;
          madeThisPass.addAndGet(100);
          return Batch.of(x, y);
        }
      };
    }
  }

  @Test
  void batchesMadeOnTheFlyAreStreamedNeverCollectedAndGiveTheSameRunForTheSameSeed() {
    // 5,000 examples, a shuffle buffer of 500 and a queue of 2 batches
    DataLoader.Options options = new DataLoader.Options(new int[] {784}, 10, 100, 5, false,
        DataLoader.DEFAULT_HEAP_FRACTION, 500, 2);
    TrainingData eval = DataLoader.readAll(BatchReader.of("eval", new int[] {784},
        myBatches(0, 500)), 10);
    List<Double> losses = new ArrayList<>();
    for (int run = 0; run < 2; run++) {
      MadeOnTheFly source = new MadeOnTheFly(50);
      long[] mostAhead = new long[1];
      try (StreamedData train = DataLoader.stream(BatchReader.of("made", new int[] {784},
          source), options)) {
        TrainingResult r = new PruningTrainer(config().toBuilder().pruneCheckEvery(5).build(),
            new org.tfprune.train.TrainingListener() {
          @Override
          public void onStep(org.tfprune.train.StepProgress p) {
            mostAhead[0] = Math.max(mostAhead[0],
                source.madeThisPass.get() - 100 * train.stats().batches());
          }
        }).train(SPEC, train, eval);
        losses.add(r.history().get(0).dataLoss());
        assertThat(train.stats().batches()).isEqualTo(50);
      }
      // what the stream holds ahead of the step: its shuffle buffer (500), the queue (2
      // batches), the batch it is filling and the source's batch it is copying (100 each);
      // collecting the data would make all 5,000 before the first step
      assertThat(mostAhead[0]).isPositive().isLessThanOrEqualTo(500 + 2 * 100 + 100 + 100);
    }
    assertThat(losses.get(1)).isEqualTo(losses.get(0));
  }

  @Test
  void anEagerTfJavaDatasetGivesItsBatches() {
    ArrayData mnist = Mnist.train(250);
    int[] labels = new int[250];
    float[] oneHot = new float[250 * 10];
    float[] x = new float[250 * 784];
    mnist.fill(java.util.stream.IntStream.range(0, 250).toArray(), x, oneHot);
    for (int i = 0; i < 250; i++) {
      for (int c = 0; c < 10; c++) {
        labels[i] = oneHot[i * 10 + c] == 1f ? c : labels[i];
      }
    }
    try (org.tensorflow.EagerSession eager = org.tensorflow.EagerSession.create()) {
      org.tensorflow.op.Ops tf = org.tensorflow.op.Ops.create(eager);
      long[] wide = java.util.Arrays.stream(labels).asLongStream().toArray();
      org.tensorflow.framework.data.Dataset ds = org.tensorflow.framework.data.Dataset
          .fromTensorSlices(tf, List.of(tf.constant(Shape.of(250, 28, 28, 1),
              DataBuffers.of(x)), tf.constant(wide)), List.of(TFloat32.class,
              org.tensorflow.types.TInt64.class)).batch(100);
      BatchReader reader = BatchReader.of("dataset", new int[] {28, 28, 1},
          DatasetBatches.of(ds));
      assertThat(reader.size()).isEqualTo(250); // batches of 100, 100 and 50
      InMemoryData d = DataLoader.readAll(reader, 10);
      assertThat(d.features()).isEqualTo(x);
      assertThat(d.labels()).isEqualTo(labels);
      InMemoryData again = DataLoader.readAll(reader, 10); // a second pass iterates anew
      assertThat(again.labels()).isEqualTo(labels);
    }
  }

  @Test
  void aDatasetBuiltInAGraphIsRefusedWithTheWayOut() {
    try (org.tensorflow.Graph g = new org.tensorflow.Graph()) {
      org.tensorflow.op.Ops tf = org.tensorflow.op.Ops.create(g);
      org.tensorflow.framework.data.Dataset ds = org.tensorflow.framework.data.Dataset
          .fromTensorSlices(tf, List.of(tf.constant(new float[][] {{1f}}),
              tf.constant(new int[] {0})), List.of(TFloat32.class,
              org.tensorflow.types.TInt32.class));
      assertThatThrownBy(() -> DatasetBatches.of(ds)).hasMessageContaining("eager mode")
          .hasMessageContaining("Iterable<Batch>");
    }
  }
}
