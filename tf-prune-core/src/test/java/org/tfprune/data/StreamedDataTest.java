package org.tfprune.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class StreamedDataTest {
  /** {@code n} examples of 2 values whose first value is the example's index. */
  static ArrayReader ids(int n) {
    float[] x = new float[2 * n];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      x[2 * i] = i;
      y[i] = i % 10;
    }
    return ArrayReader.of("ids", new int[] {2}, x, y);
  }

  /** The example indices of {@code batches} batches of {@code b} from {@code data}. */
  static int[] take(StreamedData data, int batches, int b) {
    int[] out = new int[batches * b];
    float[] x = new float[b * 2];
    float[] y = new float[b * 10];
    for (int k = 0; k < batches; k++) {
      data.fill(new int[b], x, y);
      for (int i = 0; i < b; i++) {
        out[k * b + i] = (int) x[2 * i];
        assertThat(y[i * 10 + out[k * b + i] % 10]).isEqualTo(1f);
      }
    }
    return out;
  }

  @Test
  void aShuffledEpochDeliversEveryExampleOnceInAShuffledOrder() {
    try (StreamedData d = StreamedData.shuffled(ids(1000), 10, 100, 7, 300, 4)) {
      int[] epoch = take(d, 10, 100);
      assertThat(Arrays.stream(epoch).sorted().toArray())
          .isEqualTo(IntStream.range(0, 1000).toArray());
      assertThat(epoch).isNotEqualTo(IntStream.range(0, 1000).toArray());
    }
  }

  @Test
  void theSameSeedGivesTheSameOrderAndEachEpochItsOwn() {
    int[] a;
    int[] b;
    int[] c;
    try (StreamedData d = StreamedData.shuffled(ids(1000), 10, 100, 7, 300, 4)) {
      a = take(d, 20, 100);
    }
    try (StreamedData d = StreamedData.shuffled(ids(1000), 10, 100, 7, 300, 2)) {
      b = take(d, 20, 100);
    }
    try (StreamedData d = StreamedData.shuffled(ids(1000), 10, 100, 8, 300, 4)) {
      c = take(d, 20, 100);
    }
    assertThat(b).isEqualTo(a);
    assertThat(c).isNotEqualTo(a);
    assertThat(Arrays.copyOfRange(a, 1000, 2000)).isNotEqualTo(Arrays.copyOf(a, 1000));
  }

  @Test
  void eachEpochHoldsOnlyWholeBatchesAsTheTrainerUsesThem() {
    try (StreamedData d = StreamedData.shuffled(ids(1050), 10, 100, 3, 300, 4)) {
      int[] two = take(d, 20, 100);
      for (int e = 0; e < 2; e++) {
        Set<Integer> seen = new HashSet<>();
        for (int i = e * 1000; i < (e + 1) * 1000; i++) {
          seen.add(two[i]);
        }
        assertThat(seen).hasSize(1000);
      }
    }
  }

  @Test
  void shardsAreReadInTurnSoTheFirstBatchMixesShards() {
    ExampleReader sharded = new Sharded(ids(1000), 10);
    try (StreamedData d = StreamedData.shuffled(sharded, 10, 100, 5, 50, 4)) {
      int[] first = take(d, 1, 100);
      // 4 shards are open at a time, read in turn: the first 100 come from 4 shards of 100
      assertThat(Arrays.stream(first).map(i -> i / 100).distinct().count()).isEqualTo(4);
    }
  }

  @Test
  void shardsReadAheadInParallelStillGiveTheSameOrderForASeed() {
    int[][] runs = new int[3][];
    for (int k = 0; k < 3; k++) {
      try (StreamedData d = StreamedData.shuffled(new Sharded(ids(1000), 7), 10, 100, 11, 64,
          1 + k)) {
        runs[k] = take(d, 20, 100);
      }
    }
    assertThat(runs[1]).isEqualTo(runs[0]);
    assertThat(runs[2]).isEqualTo(runs[0]);
    assertThat(Arrays.stream(Arrays.copyOf(runs[0], 1000)).sorted().toArray())
        .isEqualTo(IntStream.range(0, 1000).toArray());
  }

  @Test
  void aBadRecordInAShardReadAheadReachesTheStepWithItsRecord() {
    float[] x = new float[2 * 400];
    x[2 * 333] = Float.NEGATIVE_INFINITY;
    ExampleReader r = new Sharded(ArrayReader.of("bad", new int[] {2}, x, new int[400]), 4);
    try (StreamedData d = StreamedData.shuffled(r, 10, 100, 1, 10, 2)) {
      assertThatThrownBy(() -> take(d, 4, 100)).isInstanceOf(InvalidValueException.class)
          .hasMessageContaining("bad: record 333");
    }
  }

  @Test
  void inOrderDeliversExactlyTheIndicesAskedForAndRestartsAtZero() {
    try (StreamedData d = StreamedData.inOrder(ids(250), 10, 100, 2)) {
      float[] x = new float[2 * 150];
      float[] y = new float[10 * 150];
      d.fill(IntStream.range(0, 150).toArray(), x, y);
      assertThat(x[2 * 149]).isEqualTo(149f);
      d.fill(IntStream.range(150, 250).toArray(), x, y);
      assertThat(x[2 * 99]).isEqualTo(249f);
      d.fill(IntStream.range(0, 10).toArray(), x, y);
      assertThat(x[2 * 9]).isEqualTo(9f);
      assertThatThrownBy(() -> d.fill(new int[] {50, 51}, x, y))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("in order");
    }
  }

  @Test
  void aNanReadWhileStreamingReachesTheTrainingStepWithItsRecord() {
    float[] x = new float[2 * 300];
    x[2 * 217 + 1] = Float.NaN;
    ArrayReader r = ArrayReader.of("bad", new int[] {2}, x, new int[300]);
    try (StreamedData d = StreamedData.shuffled(r, 10, 100, 1, 10, 2)) {
      assertThatThrownBy(() -> take(d, 3, 100)).isInstanceOf(InvalidValueException.class)
          .hasMessageContaining("bad: record 217").hasMessageContaining("NaN");
    }
  }

  @Test
  void statsCountTheBatchesDelivered() {
    try (StreamedData d = StreamedData.shuffled(ids(500), 10, 100, 1, 100, 2)) {
      take(d, 7, 100);
      StreamStats s = d.stats();
      assertThat(s.batches()).isEqualTo(7);
      assertThat(s.readerBusyNanos()).isPositive();
    }
  }

  /** A reader whose examples are split into {@code k} equal shards. */
  static final class Sharded implements ExampleReader {
    private final List<Shard> shards = new ArrayList<>();
    private final ExampleReader base;

    Sharded(ExampleReader base, int k) {
      this.base = base;
      long n = base.size();
      for (int i = 0; i < k; i++) {
        shards.addAll(Subset.of(base, n * i / k, n * (i + 1) / k).shards());
      }
    }

    @Override
    public String source() {
      return base.source();
    }

    @Override
    public int[] exampleShape() {
      return base.exampleShape();
    }

    @Override
    public List<? extends Shard> shards() {
      return shards;
    }
  }
}
