package org.tfprune.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpzReaderTest {
  static MnistFiles.Raw raw;

  @TempDir
  Path dir;

  @BeforeAll
  static void mnist() {
    raw = MnistFiles.raw(1000);
  }

  private Path mnistNpz(boolean compressed) {
    Path file = dir.resolve(compressed ? "mnist-z.npz" : "mnist.npz");
    MnistFiles.Raw test = new MnistFiles.Raw(Arrays.copyOf(raw.pixels(), 100 * 784),
        Arrays.copyOf(raw.labels(), 100));
    MnistFiles.writeNpz(file, compressed, "x_train", MnistFiles.imagesNpy(raw),
        "y_train", MnistFiles.labelsNpy(raw.labels()), "x_test", MnistFiles.imagesNpy(test),
        "y_test", MnistFiles.labelsNpy(test.labels()));
    return file;
  }

  @Test
  void kerasStyleNpzGivesTheIdxExamplesInOrder() {
    NpzReader r = NpzReader.open(mnistNpz(false), NpzReader.X_TRAIN, NpzReader.Y_TRAIN,
        InputScale.AUTO);
    assertThat(r.exampleShape()).containsExactly(28, 28);
    Object[] read = MnistFiles.readAll(r);
    assertThat((float[]) read[0]).isEqualTo(raw.scaled());
    assertThat((int[]) read[1]).isEqualTo(raw.labels());
  }

  @Test
  void compressedNpzReadsTheSameAsStored() {
    NpzReader r = NpzReader.open(mnistNpz(true), "x_test", "y_test", InputScale.AUTO);
    Object[] read = MnistFiles.readAll(r);
    assertThat((float[]) read[0]).isEqualTo(Arrays.copyOf(raw.scaled(), 100 * 784));
    assertThat((int[]) read[1]).isEqualTo(Arrays.copyOf(raw.labels(), 100));
  }

  @Test
  void float32ImagesAreReadAsStored() {
    Path file = dir.resolve("f.npz");
    MnistFiles.writeNpz(file, false, "x_train", MnistFiles.floatImagesNpy(raw), "y_train",
        MnistFiles.labelsNpy(raw.labels()));
    NpzReader r = NpzReader.open(file, "x_train", "y_train", InputScale.AUTO);
    assertThat(r.exampleShape()).containsExactly(28, 28, 1);
    assertThat((float[]) MnistFiles.readAll(r)[0]).isEqualTo(raw.scaled());
  }

  @Test
  void anExplicitScaleAppliesToTheBytes() {
    NpzReader r = NpzReader.open(mnistNpz(false), "x_test", "y_test", InputScale.NONE);
    float[] x = (float[]) MnistFiles.readAll(r)[0];
    assertThat(x[200]).isEqualTo(raw.pixels()[200] & 0xFF);
  }

  @Test
  void aMissingArrayNamesTheArraysTheArchiveHoldsAndTheOption() {
    Path file = mnistNpz(false);
    assertThatThrownBy(() -> NpzReader.open(file, "images", "y_train", InputScale.AUTO))
        .isInstanceOf(MissingArrayException.class).hasMessageContaining(file.toString())
        .hasMessageContaining("'images'")
        .hasMessageContaining("[x_train, y_train, x_test, y_test]")
        .hasMessageContaining("--image-key");
  }

  @Test
  void imagesAndLabelsOfDifferentCountsAreRefusedNamingBothArrays() {
    Path file = mnistNpz(false);
    assertThatThrownBy(() -> NpzReader.open(file, "x_train", "y_test", InputScale.AUTO))
        .isInstanceOf(CountMismatchException.class).hasMessageContaining("1000 examples")
        .hasMessageContaining("hold 100").hasMessageContaining("y_test");
  }

  @Test
  void aFileThatIsNotAZipSaysSo() {
    Path file = dir.resolve("x.npz");
    MnistFiles.writeTfRecord(file, MnistFiles.rawExamples(raw).subList(0, 1));
    assertThatThrownBy(() -> NpzReader.open(file, "x_train", "y_train", InputScale.AUTO))
        .isInstanceOf(MalformedDataException.class).hasMessageContaining("not a zip archive");
  }
}
