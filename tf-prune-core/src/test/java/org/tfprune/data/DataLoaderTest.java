package org.tfprune.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.tfprune.train.TrainingData;

class DataLoaderTest {
  private static final long MB = 1 << 20;

  @Test
  void dataIsHeldInMemoryWhenItTakesAtMostTheHeapFraction() {
    // 60000 x 784 floats + int labels = 4 * 60000 * 785 bytes = 179.6 MiB
    assertThat(DataLoader.bytesInMemory(60_000, 784)).isEqualTo(4L * 60_000 * 785);
    assertThat(DataLoader.fitsInMemory(60_000, 784, 0.4, 450 * MB)).isTrue(); // 180 MiB limit
    assertThat(DataLoader.fitsInMemory(60_000, 784, 0.4, 448 * MB)).isFalse(); // 179.2 MiB
  }

  @Test
  void dataThatFitsOneArrayOnlyIsStreamedWhateverTheHeap() {
    assertThat(DataLoader.fitsInMemory(3_000_000, 784, 1.0, Long.MAX_VALUE)).isFalse();
  }

  @Test
  void smallDataIsLoadedIntoMemoryUnlessStreamingIsForced() throws Exception {
    ArrayReader r = StreamedDataTest.ids(300);
    DataLoader.Options o = DataLoader.Options.of(new int[] {2}, 10, 100, 1);
    assertThat(DataLoader.load(r, o)).isInstanceOf(InMemoryData.class);
    TrainingData streamed = DataLoader.load(r, o.withForceStream(true));
    assertThat(streamed).isInstanceOf(StreamedData.class);
    ((StreamedData) streamed).close();
  }

  @Test
  void theNumberOfClassesIsTheLargestLabelPlusOneWhenNotGiven() {
    ArrayReader r = ArrayReader.of("c", new int[] {1}, new float[3], new int[] {0, 4, 2});
    assertThat(DataLoader.readAll(r, 0).numClasses()).isEqualTo(5);
    assertThat(DataLoader.scan(r, 0)).isEqualTo(5);
  }

  @Test
  void aShapeThatDiffersFromTheModelsNamesBothShapes() {
    ArrayReader r = ArrayReader.of("mnist", new int[] {28, 28}, new float[784], new int[1]);
    assertThatThrownBy(() -> DataLoader.load(r,
        DataLoader.Options.of(new int[] {32, 32, 3}, 10, 1, 1)))
        .isInstanceOf(ShapeMismatchException.class).hasMessageContaining("[28, 28]")
        .hasMessageContaining("[32, 32, 3]");
  }

  @Test
  void imagesOf32x32ForAModelReading28x28AreRefusedNamingBothShapesAndTheFix() {
    assertThatThrownBy(() -> ExampleShapes.checkFeeds("big.npz", new int[] {32, 32, 1},
        new long[] {-1, 28, 28, 1})).isInstanceOf(ShapeMismatchException.class)
        .hasMessage("big.npz: holds examples of shape [32, 32, 1] (1024 values) but the model's "
            + "input has shape [?, 28, 28, 1] (784 values per example). Pass data of the "
            + "model's input shape (the data it was trained on, or images resized or cropped to "
            + "[28, 28, 1]), or a model built for [32, 32, 1].");
    assertThatThrownBy(() -> ExampleShapes.checkFeeds("big.npz", new int[] {32, 32},
        new long[] {-1, 784})).hasMessageContaining("[32, 32] (1024 values)")
        .hasMessageContaining("[?, 784] (784 values per example)")
        .hasMessageContaining("cropped to 784 values");
  }

  @Test
  void dataOfTheModelsNumberOfValuesOrShapeFeedsIt() {
    // the same values in another layout: the model is fed them in its own shape
    ExampleShapes.checkFeeds("x", new int[] {28, 28, 1}, new long[] {-1, 784});
    ExampleShapes.checkFeeds("x", new int[] {784}, new long[] {-1, 28, 28, 1});
    ExampleShapes.checkFeeds("x", new int[] {28, 28}, new long[] {-1, 28, 28, 1});
    // a dimension of any size: the model takes what it is given
    ExampleShapes.checkFeeds("x", new int[] {32, 32, 3}, new long[] {-1, -1, -1, 3});
  }

  @Test
  void aMissingChannelDimensionOfSizeOneStillFits() {
    ArrayReader r = ArrayReader.of("mnist", new int[] {28, 28}, new float[784], new int[1]);
    assertThat(DataLoader.load(r, DataLoader.Options.of(new int[] {28, 28, 1}, 10, 1, 1))
        .featureSize()).isEqualTo(784);
  }

  @Test
  void aLabelOutOfRangeIsRefusedWithItsRecordBeforeTraining() {
    ArrayReader r = ArrayReader.of("labels", new int[] {1}, new float[4], new int[] {1, 2, 10, 3});
    DataLoader.Options o = DataLoader.Options.of(null, 10, 2, 1);
    assertThatThrownBy(() -> DataLoader.load(r, o)).isInstanceOf(LabelOutOfRangeException.class)
        .hasMessageContaining("labels: record 2").hasMessageContaining("label 10")
        .hasMessageContaining("0..9");
    assertThatThrownBy(() -> DataLoader.load(r, o.withForceStream(true)))
        .isInstanceOf(LabelOutOfRangeException.class).hasMessageContaining("record 2");
  }

  @Test
  void anInfiniteValueIsRefusedWithItsRecordBeforeTraining() {
    float[] x = new float[8];
    x[5] = Float.POSITIVE_INFINITY;
    ArrayReader r = ArrayReader.of("values", new int[] {2}, x, new int[4]);
    assertThatThrownBy(() -> DataLoader.load(r, DataLoader.Options.of(null, 10, 2, 1)
        .withForceStream(true))).isInstanceOf(InvalidValueException.class)
        .hasMessageContaining("values: record 2").hasMessageContaining("Infinity");
  }

  @Test
  void aHeldOutFractionIsTheLastExamplesInMemoryAndStreamedAlike() {
    ArrayReader r = StreamedDataTest.ids(100);
    InMemoryData[] mem = DataLoader.readAll(r, 10).holdOut(0.2);
    Subset[] streamed = Subset.holdOut(new StreamedDataTest.Sharded(r, 3), 0.2);
    assertThat(mem[0].size()).isEqualTo(80);
    assertThat(mem[1].features()).isEqualTo(Arrays.copyOfRange(DataLoader.readAll(r, 10)
        .features(), 160, 200));
    assertThat(DataLoader.readAll(streamed[1], 10).features()).isEqualTo(mem[1].features());
    assertThat(DataLoader.readAll(streamed[0], 10).features()).isEqualTo(mem[0].features());
  }

  @Test
  void inputScaleParsesFractionsAndGivesTheIdxReadersFloats() {
    InputScale s = InputScale.parse("1/255");
    for (int b = 0; b < 256; b++) {
      assertThat(s.apply(b)).isEqualTo(b / 255f);
    }
    assertThat(InputScale.parse("0.5").apply(3f)).isEqualTo(1.5f);
    assertThat(InputScale.AUTO.forBytes().apply(255f)).isEqualTo(1f);
    assertThat(InputScale.AUTO.forFloats().apply(0.3f)).isEqualTo(0.3f);
    assertThatThrownBy(() -> InputScale.parse("one")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1/255");
  }
}
