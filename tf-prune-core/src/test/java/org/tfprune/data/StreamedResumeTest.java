package org.tfprune.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tfprune.loss.PruningKnobs;
import org.tfprune.train.CheckpointPolicy;
import org.tfprune.train.EpochStats;
import org.tfprune.train.PruningTrainer;
import org.tfprune.train.TrainerConfig;
import org.tfprune.train.TrainingData;
import org.tfprune.train.TrainingListener;
import org.tfprune.train.TrainingResult;

/**
 * Streamed training data resumed from a checkpoint: the stream takes up the run at the batch the
 * trainer resumes at, so the resumed run reads the examples of an uninterrupted one in the same
 * order and ends bit-identical.
 */
class StreamedResumeTest {
  @Test
  void aStreamPositionedAtABatchGivesWhatAnUninterruptedStreamGaveThere() {
    int[] straight;
    try (StreamedData d = StreamedData.shuffled(StreamedDataTest.ids(1000), 10, 100, 7, 300, 4)) {
      straight = StreamedDataTest.take(d, 25, 100); // two and a half epochs
    }
    try (StreamedData d = StreamedData.shuffled(StreamedDataTest.ids(1000), 10, 100, 7, 300, 4)) {
      d.position(13); // epoch 1, its fourth batch
      int[] resumed = StreamedDataTest.take(d, 12, 100);
      assertThat(resumed).isEqualTo(Arrays.copyOfRange(straight, 1300, 2500));
      d.position(25); // where it is already: nothing is skipped or re-read
      assertThat(d.stats().batches()).isEqualTo(12);
      d.position(0); // back to the start
      assertThat(StreamedDataTest.take(d, 3, 100)).isEqualTo(Arrays.copyOf(straight, 300));
    }
  }

  /** Stops the run (like a killed process) when an epoch ends. */
  private static final class Interrupt extends RuntimeException {}

  private static TrainerConfig.Builder config() {
    return TrainerConfig.builder().knobs(PruningKnobs.defaults()).epochs(4).finetuneEpochs(1)
        .batchSize(100).seed(3).evalBatchSize(500).pruneCheckEvery(10);
  }

  private static StreamedData streamed() {
    DataLoader.Options options = DataLoader.Options.of(new int[] {784}, 10, 100, 3)
        .withForceStream(true);
    return (StreamedData) DataLoader.load(BatchReader.of("my-train", new int[] {784},
        BatchReaderTest.myBatches(0, 1000)), options);
  }

  @Test
  void aStreamedRunResumedMidEpochEndsBitIdenticalToAnUninterruptedOne(@TempDir Path dir) {
    TrainingData test = DataLoader.readAll(BatchReader.of("my-eval", new int[] {784},
        BatchReaderTest.myBatches(1000, 1500)), 10);
    TrainingResult straight;
    try (StreamedData train = streamed()) {
      straight = new PruningTrainer(config().build(), null).train(BatchReaderTest.SPEC, train,
          test);
    }
    Path file = dir.resolve("run.ckpt");
    // 10 steps an epoch, saved every 7: the last save before epoch 3 ends is at step 8 of it
    TrainerConfig saving = config().checkpoint(new CheckpointPolicy(file, 7, true)).build();
    TrainingListener killAtEpoch3 = new TrainingListener() {
      @Override
      public void onEpoch(EpochStats stats) {
        if (stats.epoch() == 3) {
          throw new Interrupt();
        }
      }
    };
    try (StreamedData train = streamed()) {
      assertThatThrownBy(() -> new PruningTrainer(saving, killAtEpoch3).train(
          BatchReaderTest.SPEC, train, test)).isInstanceOf(Interrupt.class);
    }
    int[] resumedAt = new int[2];
    TrainingResult resumed;
    try (StreamedData train = streamed()) { // a new process: a new stream
      resumed = new PruningTrainer(saving, new TrainingListener() {
        @Override
        public void onResume(int epoch, int step, long globalStep) {
          resumedAt[0] = epoch;
          resumedAt[1] = step;
        }
      }).train(BatchReaderTest.SPEC, train, test);
    }
    assertThat(resumedAt).containsExactly(3, 8);
    assertThat(resumed.history()).hasSize(4);
    for (int e = 0; e < 4; e++) {
      assertThat(resumed.history().get(e).dataLoss()).as("epoch %s", e + 1)
          .isEqualTo(straight.history().get(e).dataLoss());
    }
    assertThat(resumed.parameters().names()).containsExactlyInAnyOrderElementsOf(
        straight.parameters().names());
    for (String name : straight.parameters().names()) {
      assertThat(resumed.parameters().get(name).values()).as(name)
          .containsExactly(straight.parameters().get(name).values());
    }
    assertThat(resumed.testAccuracy()).isEqualTo(straight.testAccuracy());
  }
}
