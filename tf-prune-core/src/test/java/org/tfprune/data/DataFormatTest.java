package org.tfprune.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataFormatTest {
  @TempDir
  Path dir;

  @Test
  void theExtensionTellsTheFormat() {
    assertThat(DataFormat.detect("data/train-*.tfrecord")).isEqualTo(DataFormat.TFRECORD);
    assertThat(DataFormat.detect("a.tfrecords")).isEqualTo(DataFormat.TFRECORD);
    assertThat(DataFormat.detect("mnist.npz")).isEqualTo(DataFormat.NPZ);
    assertThat(DataFormat.detect("x_train.NPY")).isEqualTo(DataFormat.NPY);
  }

  @Test
  void aDirectoryIsToldByItsFiles() throws IOException {
    Path idx = Files.createDirectories(dir.resolve("idx"));
    Files.write(idx.resolve("train-images-idx3-ubyte.gz"), new byte[1]);
    Path npy = Files.createDirectories(dir.resolve("npy"));
    Files.write(npy.resolve("x_train.npy"), new byte[1]);
    assertThat(DataFormat.detect(idx.toString())).isEqualTo(DataFormat.IDX);
    assertThat(DataFormat.detect(npy.toString())).isEqualTo(DataFormat.NPY);
  }

  @Test
  void anUnknownExtensionAsksForDataFormat() throws IOException {
    Path f = Files.write(dir.resolve("data.bin"), new byte[1]);
    assertThatThrownBy(() -> DataFormat.detect(f.toString())).isInstanceOf(DataException.class)
        .hasMessageContaining("cannot be told").hasMessageContaining("--data-format");
    assertThatThrownBy(() -> DataFormat.detect(dir.resolve("gone").toString()))
        .hasMessageContaining("no such file");
  }

  @Test
  void parseNamesTheFormatsOnError() {
    assertThat(DataFormat.parse("TFRecord")).isEqualTo(DataFormat.TFRECORD);
    assertThatThrownBy(() -> DataFormat.parse("csv")).hasMessageContaining("[tfrecord, npz, npy, idx]");
  }

  @Test
  void anNpyDirectoryServesItsTestArraysForEvaluation() throws IOException {
    MnistFiles.Raw raw = MnistFiles.raw(30);
    Files.write(dir.resolve("x_train.npy"), MnistFiles.imagesNpy(raw));
    Files.write(dir.resolve("y_train.npy"), MnistFiles.labelsNpy(raw.labels()));
    DataSource source = DataSource.of(dir.toString());
    assertThat(source.openBundledEvaluation()).isEmpty();
    Files.write(dir.resolve("x_test.npy"), MnistFiles.imagesNpy(raw));
    Files.write(dir.resolve("y_test.npy"), MnistFiles.labelsNpy(raw.labels()));
    assertThat(source.openTrain().size()).isEqualTo(30);
    assertThat(source.openBundledEvaluation().orElseThrow().size()).isEqualTo(30);
  }
}
