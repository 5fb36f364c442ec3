package org.tfprune.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyReaderTest {
  static MnistFiles.Raw raw;

  @TempDir
  Path dir;

  @BeforeAll
  static void mnist() {
    raw = MnistFiles.raw(1000);
  }

  @Test
  void npyPairGivesTheIdxExamplesInOrder() throws IOException {
    Files.write(dir.resolve("x_train.npy"), MnistFiles.imagesNpy(raw));
    Files.write(dir.resolve("y_train.npy"), MnistFiles.labelsNpy(raw.labels()));
    NpyReader r = NpyReader.open(dir.resolve("x_train.npy"), dir.resolve("y_train.npy"),
        InputScale.AUTO);
    Object[] read = MnistFiles.readAll(r);
    assertThat((float[]) read[0]).isEqualTo(raw.scaled());
    assertThat((int[]) read[1]).isEqualTo(raw.labels());
  }

  @Test
  void largeArraysAreSplitIntoShardsReadAtTheirOffsets() throws IOException {
    int n = NpyReader.EXAMPLES_PER_SHARD + 5;
    byte[] px = new byte[n * 4];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      px[i * 4] = (byte) i;
      labels[i] = i % 7;
    }
    Files.write(dir.resolve("x.npy"), MnistFiles.npy("|u1", new long[] {n, 2, 2}, px, false));
    Files.write(dir.resolve("y.npy"), MnistFiles.labelsNpy(labels));
    NpyReader r = NpyReader.open(dir.resolve("x.npy"), dir.resolve("y.npy"), InputScale.NONE);
    assertThat(r.shards()).hasSize(2);
    assertThat(r.shards().get(1).size()).isEqualTo(5);
    float[] x = new float[4];
    try (ExampleReader.Cursor c = r.shards().get(1).open()) {
      assertThat(c.next(x, 0)).isTrue();
      assertThat(x[0]).isEqualTo((byte) NpyReader.EXAMPLES_PER_SHARD & 0xFF);
      assertThat(c.label()).isEqualTo(NpyReader.EXAMPLES_PER_SHARD % 7);
      assertThat(c.record()).isEqualTo(NpyReader.EXAMPLES_PER_SHARD);
    }
  }

  @Test
  void fortranOrderIsRefusedWithTheNumpyFix() throws IOException {
    Files.write(dir.resolve("x.npy"), MnistFiles.npy("|u1", new long[] {2, 2}, new byte[4], true));
    Files.write(dir.resolve("y.npy"), MnistFiles.labelsNpy(new int[] {0, 1}));
    assertThatThrownBy(() -> NpyReader.open(dir.resolve("x.npy"), dir.resolve("y.npy"),
        InputScale.AUTO)).isInstanceOf(MalformedDataException.class)
        .hasMessageContaining("Fortran").hasMessageContaining("ascontiguousarray");
  }

  @Test
  void aTruncatedImageFileIsRefusedBeforeReading() throws IOException {
    byte[] full = MnistFiles.imagesNpy(raw);
    Files.write(dir.resolve("x.npy"), Arrays.copyOf(full, full.length - 10));
    Files.write(dir.resolve("y.npy"), MnistFiles.labelsNpy(raw.labels()));
    assertThatThrownBy(() -> NpyReader.open(dir.resolve("x.npy"), dir.resolve("y.npy"),
        InputScale.AUTO)).isInstanceOf(MalformedDataException.class)
        .hasMessageContaining("truncated").hasMessageContaining("784000 bytes");
  }

  @Test
  void unsupportedImageTypesNameTheConversion() throws IOException {
    Files.write(dir.resolve("x.npy"), MnistFiles.npy("<f8", new long[] {1, 2}, new byte[16],
        false));
    Files.write(dir.resolve("y.npy"), MnistFiles.labelsNpy(new int[] {0}));
    assertThatThrownBy(() -> NpyReader.open(dir.resolve("x.npy"), dir.resolve("y.npy"),
        InputScale.AUTO)).isInstanceOf(ShapeMismatchException.class)
        .hasMessageContaining("<f8").hasMessageContaining("astype('float32')");
  }

  @Test
  void oneHotLabelsAreRefusedWithTheArgmaxFix() throws IOException {
    Files.write(dir.resolve("x.npy"), MnistFiles.npy("|u1", new long[] {2, 2}, new byte[4],
        false));
    Files.write(dir.resolve("y.npy"), MnistFiles.npy("|u1", new long[] {2, 3}, new byte[6],
        false));
    assertThatThrownBy(() -> NpyReader.open(dir.resolve("x.npy"), dir.resolve("y.npy"),
        InputScale.AUTO)).isInstanceOf(ShapeMismatchException.class)
        .hasMessageContaining("argmax");
  }

  @Test
  void aMissingLabelFileNamesTheExpectedNames() {
    assertThatThrownBy(() -> NpyReader.open(dir.resolve("x_train.npy"),
        dir.resolve("y_train.npy"), InputScale.AUTO))
        .isInstanceOf(MissingArrayException.class).hasMessageContaining("x_train.npy");
  }
}
