package org.tfprune.examples.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tfprune.examples.data.TestFiles.cifarRecord;
import static org.tfprune.examples.data.TestFiles.concat;
import static org.tfprune.examples.data.TestFiles.gzip;
import static org.tfprune.examples.data.TestFiles.write;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Cifar10ReaderTest {
  private static final String HOW_TO = "Put the CIFAR-10 files there.";
  private static final int PLANE = 32 * 32;

  @TempDir Path dir;

  @Test
  void readsBatchesInOrderAndConvertsToChannelsLast() {
    byte[] known = cifarRecord(7, 0);
    // Pixel at row 1, column 2: red 255, green 51, blue 102.
    int p = 1 * 32 + 2;
    known[1 + p] = (byte) 255;
    known[1 + PLANE + p] = 51;
    known[1 + 2 * PLANE + p] = 102;
    Path first = write(dir.resolve("data_batch_1.bin"), concat(cifarRecord(3, 5), known));
    Path second = write(dir.resolve("data_batch_2.bin"), cifarRecord(9, 77));

    LabeledImages data = Cifar10Reader.read("cifar", List.of(first, second), HOW_TO);

    assertThat(data.count()).isEqualTo(3);
    assertThat(data.featureShape()).containsExactly(32, 32, 3);
    assertThat(data.featureSize()).isEqualTo(3072);
    assertThat(data.labels()).containsExactly(3, 7, 9);
    float[] image = data.features(new int[] {1});
    int nhwc = (1 * 32 + 2) * 3;
    assertThat(image[nhwc]).isEqualTo(1f);
    assertThat(image[nhwc + 1]).isEqualTo(51 / 255f);
    assertThat(image[nhwc + 2]).isEqualTo(102 / 255f);
  }

  @Test
  void everyPixelMovesFromPlanarToInterleaved() {
    byte[] record = cifarRecord(2, 13);
    Path file = write(dir.resolve("test_batch.bin"), record);

    float[] image = Cifar10Reader.read("cifar", List.of(file), HOW_TO).features(new int[] {0});

    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 32; x++) {
        for (int c = 0; c < 3; c++) {
          int planar = 1 + c * PLANE + y * 32 + x;
          assertThat(image[(y * 32 + x) * 3 + c])
              .as("pixel y=%d x=%d channel=%d", y, x, c)
              .isEqualTo((record[planar] & 0xFF) / 255f);
        }
      }
    }
  }

  @Test
  void readsGzippedBatchesDetectedByContent() {
    byte[] records = concat(cifarRecord(0, 1), cifarRecord(1, 2));
    Path raw = write(dir.resolve("raw.bin"), records);
    Path gzipped = write(dir.resolve("gzipped.bin"), gzip(records));

    assertThat(Cifar10Reader.read("cifar", List.of(gzipped), HOW_TO))
        .isEqualTo(Cifar10Reader.read("cifar", List.of(raw), HOW_TO));
  }

  @Test
  void sizeNotAMultipleOfTheRecordIsReported() {
    byte[] records = concat(cifarRecord(0, 1), cifarRecord(1, 2));
    Path file = write(dir.resolve("data_batch_1.bin"), Arrays.copyOf(records, records.length - 1));

    assertThatThrownBy(() -> Cifar10Reader.read("cifar", List.of(file), HOW_TO))
        .isInstanceOf(DatasetException.class)
        .hasMessageStartingWith(file.toString())
        .hasMessageContaining("size 6145 bytes is not a multiple of the 3073-byte CIFAR-10 record")
        .hasMessageContaining("whole records 1, bytes left over 3072")
        .hasMessageContaining("cifar-10-binary.tar.gz")
        .hasMessageContaining(HOW_TO);
  }

  @Test
  void cifar100RecordsAreRejectedBySize() {
    // CIFAR-100 records carry two label bytes: 3074 bytes each.
    Path file = write(dir.resolve("train.bin"), new byte[3074 * 3]);

    assertThatThrownBy(() -> Cifar10Reader.read("cifar", List.of(file), HOW_TO))
        .isInstanceOf(DatasetException.class)
        .hasMessageContaining("size 9222 bytes is not a multiple")
        .hasMessageContaining("CIFAR-100 records are 3074 bytes");
  }

  @Test
  void gzippedSizeIsReportedAsDecompressed() {
    Path file = write(dir.resolve("b.bin.gz"), gzip(new byte[100]));

    assertThatThrownBy(() -> Cifar10Reader.read("cifar", List.of(file), HOW_TO))
        .isInstanceOf(DatasetException.class)
        .hasMessageContaining("decompressed size 100 bytes is not a multiple");
  }

  @Test
  void emptyFileIsReported() {
    Path file = write(dir.resolve("data_batch_1.bin"), new byte[0]);

    assertThatThrownBy(() -> Cifar10Reader.read("cifar", List.of(file), HOW_TO))
        .isInstanceOf(DatasetException.class)
        .hasMessageContaining(file + ": is empty");
  }

  @Test
  void labelOutOfRangeNamesRecordAndOffset() {
    Path file =
        write(dir.resolve("data_batch_1.bin"), concat(cifarRecord(1, 0), cifarRecord(10, 0)));

    assertThatThrownBy(() -> Cifar10Reader.read("cifar", List.of(file), HOW_TO))
        .isInstanceOf(DatasetException.class)
        .hasMessageStartingWith(file.toString())
        .hasMessageContaining("record 1 (byte offset 3073) has label 10, out of range 0..9");
  }

  @Test
  void missingFileNamesTheFileAndWhereToPutIt() {
    Path good = write(dir.resolve("data_batch_1.bin"), cifarRecord(1, 0));
    Path missing = dir.resolve("data_batch_2.bin");

    assertThatThrownBy(() -> Cifar10Reader.read("cifar", List.of(good, missing), HOW_TO))
        .isInstanceOf(DatasetException.class)
        .hasMessageContaining(missing + ": file not found")
        .hasMessageContaining(HOW_TO);
  }
}
