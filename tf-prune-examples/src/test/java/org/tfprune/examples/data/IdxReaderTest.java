package org.tfprune.examples.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tfprune.examples.data.TestFiles.gzip;
import static org.tfprune.examples.data.TestFiles.idxImages;
import static org.tfprune.examples.data.TestFiles.idxLabels;
import static org.tfprune.examples.data.TestFiles.write;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
  private static final String HOW_TO = "Run `bash scripts/fetch-mnist.sh`.";

  /** Three 2x3 images whose bytes include 0, 128 and 255. */
  private static final byte[] PIXELS = {
    0, 1, 2, 3, 4, 5, //
    (byte) 128, (byte) 255, 10, 20, 30, 40, //
    (byte) 250, (byte) 251, (byte) 252, (byte) 253, (byte) 254, (byte) 255
  };

  private static final byte[] LABELS = {0, 9, 4};

  @TempDir Path dir;

  @Test
  void readsRawFilesExactly() {
    Path images = write(dir.resolve("images-idx3-ubyte"), idxImages(3, 2, 3, PIXELS));
    Path labels = write(dir.resolve("labels-idx1-ubyte"), idxLabels(LABELS));

    LabeledImages data = IdxReader.read("tiny", images, labels, HOW_TO);

    assertThat(data.name()).isEqualTo("tiny");
    assertThat(data.count()).isEqualTo(3);
    assertThat(data.featureShape()).containsExactly(2, 3, 1);
    assertThat(data.featureSize()).isEqualTo(6);
    assertThat(data.numClasses()).isEqualTo(10);
    assertThat(data.labels()).containsExactly(0, 9, 4);
    assertThat(data.features(new int[] {0, 1, 2})).containsExactly(expectedPixels(PIXELS));
    assertThat(data.features(new int[] {1})[1]).isEqualTo(1f);
    assertThat(data.features(new int[] {1})[0]).isEqualTo(128 / 255f);
  }

  @Test
  void detectsGzipByMagicBytesNotByFileName() {
    // Gzipped content without .gz, and raw content with .gz: both must be read.
    Path images = write(dir.resolve("images.bin"), gzip(idxImages(3, 2, 3, PIXELS)));
    Path labels = write(dir.resolve("labels.gz"), idxLabels(LABELS));

    LabeledImages data = IdxReader.read("tiny", images, labels, HOW_TO);

    assertThat(data.labels()).containsExactly(0, 9, 4);
    assertThat(data.features(new int[] {0, 1, 2})).containsExactly(expectedPixels(PIXELS));
  }

  @Test
  void gzippedAndRawFilesGiveEqualDataSets() {
    LabeledImages raw =
        IdxReader.read(
            "tiny",
            write(dir.resolve("a"), idxImages(3, 2, 3, PIXELS)),
            write(dir.resolve("b"), idxLabels(LABELS)),
            HOW_TO);
    LabeledImages gzipped =
        IdxReader.read(
            "tiny",
            write(dir.resolve("a.gz"), gzip(idxImages(3, 2, 3, PIXELS))),
            write(dir.resolve("b.gz"), gzip(idxLabels(LABELS))),
            HOW_TO);

    assertThat(gzipped).isEqualTo(raw);
  }

  @Test
  void readsEmptyFiles() {
    LabeledImages data =
        IdxReader.read(
            "empty",
            write(dir.resolve("i"), idxImages(0, 28, 28, new byte[0])),
            write(dir.resolve("l"), idxLabels()),
            HOW_TO);

    assertThat(data.count()).isZero();
    assertThat(data.featureShape()).containsExactly(28, 28, 1);
  }

  @Test
  void missingFileNamesTheFileAndHowToGetIt() {
    Path labels = write(dir.resolve("labels"), idxLabels(LABELS));
    Path missing = dir.resolve("no-such-images");

    assertThatThrownBy(() -> IdxReader.read("tiny", missing, labels, HOW_TO))
        .isInstanceOf(DatasetException.class)
        .hasMessageContaining(missing.toString())
        .hasMessageContaining("file not found")
        .hasMessageContaining("bash scripts/fetch-mnist.sh")
        .satisfies(e -> assertThat(((DatasetException) e).file()).contains(missing));
  }

  @Test
  void missingDirectoryIsNamed() {
    Path missing = dir.resolve("nowhere/images");

    assertThatThrownBy(() -> IdxReader.readImages(missing, HOW_TO))
        .isInstanceOf(DatasetException.class)
        .hasMessageContaining("file not found")
        .hasMessageContaining("directory " + dir.resolve("nowhere") + " does not exist");
  }

  @Test
  void directoryInsteadOfFileIsRejected() {
    assertThatThrownBy(() -> IdxReader.readImages(dir, HOW_TO))
        .isInstanceOf(DatasetException.class)
        .hasMessageContaining(dir.toString())
        .hasMessageContaining("is a directory");
  }

  @Test
  void labelFilePassedAsImagesIsReportedAsSwapped() {
    Path images = write(dir.resolve("images"), idxImages(3, 2, 3, PIXELS));
    Path labels = write(dir.resolve("labels"), idxLabels(LABELS));

    assertThatThrownBy(() -> IdxReader.read("tiny", labels, images, HOW_TO))
        .isInstanceOf(DatasetException.class)
        // The label file is read first, and it got the image file.
        .hasMessageStartingWith(images.toString())
        .hasMessageContaining("wrong magic number 2051 (0x00000803)")
        .hasMessageContaining("expected 2049 (0x00000801) for an IDX label file")
        .hasMessageContaining("2051 is the magic number of an IDX image file")
        .hasMessageContaining("vice versa");

    assertThatThrownBy(() -> IdxReader.readImages(labels, HOW_TO))
        .isInstanceOf(DatasetException.class)
        .hasMessageStartingWith(labels.toString())
        .hasMessageContaining("wrong magic number 2049 (0x00000801)")
        .hasMessageContaining("expected 2051 (0x00000803) for an IDX image file")
        .hasMessageContaining("2049 is the magic number of an IDX label file")
        .hasMessageContaining("an IDX label file passed as the image file or vice versa");
  }

  @Test
  void unknownMagicNumberIsReported() {
    Path file = write(dir.resolve("page.html"), "<html><body>Not found</body></html>".getBytes());

    assertThatThrownBy(() -> IdxReader.readImages(file, HOW_TO))
        .isInstanceOf(DatasetException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("wrong magic number 1013478509 (0x3c68746d)")
        .hasMessageContaining("expected 2051 (0x00000803)")
        .hasMessageContaining("not an IDX image file or is damaged")
        .hasMessageContaining(HOW_TO);
  }

  @Test
  void truncatedImageDataGivesExpectedAndFoundBytes() {
    byte[] full = idxImages(3, 2, 3, PIXELS);
    Path file = write(dir.resolve("images"), Arrays.copyOf(full, 16 + 10));

    assertThatThrownBy(() -> IdxReader.readImages(file, HOW_TO))
        .isInstanceOf(DatasetException.class)
        .hasMessageStartingWith(file + ": truncated")
        .hasMessageContaining("declares 3 images of 2x3")
        .hasMessageContaining("expected 18 bytes of data after the 16-byte header, found 10")
        .hasMessageContaining("get it again");
  }

  @Test
  void truncatedGzippedImageDataIsDetectedToo() {
    byte[] full = idxImages(3, 2, 3, PIXELS);
    Path file = write(dir.resolve("images.gz"), gzip(Arrays.copyOf(full, 16 + 7)));

    assertThatThrownBy(() -> IdxReader.readImages(file, HOW_TO))
        .isInstanceOf(DatasetException.class)
        .hasMessageContaining("expected 18 bytes of data after the 16-byte header, found 7");
  }

  @Test
  void truncatedHeaderIsReported() {
    Path file = write(dir.resolve("images"), Arrays.copyOf(idxImages(3, 2, 3, PIXELS), 9));

    assertThatThrownBy(() -> IdxReader.readImages(file, HOW_TO))
        .isInstanceOf(DatasetException.class)
        .hasMessageContaining("truncated: the file ends after 9 bytes, inside the 16-byte IDX image header");
  }

  @Test
  void emptyFileIsTruncated() {
    Path file = write(dir.resolve("labels"), new byte[0]);

    assertThatThrownBy(() -> IdxReader.readLabels(file, 10, HOW_TO))
        .isInstanceOf(DatasetException.class)
        .hasMessageContaining("the file ends after 0 bytes, inside the 8-byte IDX label header");
  }

  @Test
  void truncatedLabelDataIsReported() {
    Path file =
        write(dir.resolve("labels"), idxLabels(IdxReader.LABELS_MAGIC, 5, new byte[] {1, 2}));

    assertThatThrownBy(() -> IdxReader.readLabels(file, 10, HOW_TO))
        .isInstanceOf(DatasetException.class)
        .hasMessageContaining("declares 5 labels")
        .hasMessageContaining("expected 5 bytes of data after the 8-byte header, found 2");
  }

  @Test
  void trailingBytesAreReported() {
    byte[] file = TestFiles.concat(idxLabels(LABELS), new byte[] {7, 7});
    Path path = write(dir.resolve("labels"), file);

    assertThatThrownBy(() -> IdxReader.readLabels(path, 10, HOW_TO))
        .isInstanceOf(DatasetException.class)
        .hasMessageContaining("2 unexpected bytes after the data")
        .hasMessageContaining("declares 3 labels");
  }

  @Test
  void invalidHeaderDimensionsAreReported() {
    Path file = write(dir.resolve("images"), idxImages(3, 0, 3, new byte[0]));

    assertThatThrownBy(() -> IdxReader.readImages(file, HOW_TO))
        .isInstanceOf(DatasetException.class)
        .hasMessageContaining("invalid IDX image header: 3 images of 0x3 pixels");
  }

  @Test
  void corruptGzipDataIsReported() {
    byte[] compressed = gzip(idxImages(3, 2, 3, PIXELS));
    // Byte 10 starts the deflate data; 0xFF selects the reserved block type 3.
    compressed[10] = (byte) 0xFF;
    Path file = write(dir.resolve("images.gz"), compressed);

    assertThatThrownBy(() -> IdxReader.readImages(file, HOW_TO))
        .isInstanceOf(DatasetException.class)
        .hasMessageStartingWith(file + ": corrupt gzip data")
        .hasMessageContaining("Delete the file and get it again")
        .hasMessageContaining(HOW_TO);
  }

  @Test
  void gzipChecksumMismatchIsReported() {
    byte[] compressed = gzip(idxLabels(LABELS));
    // The CRC-32 of the data is in the 8-byte trailer.
    compressed[compressed.length - 8] ^= 0x55;
    Path file = write(dir.resolve("labels.gz"), compressed);

    assertThatThrownBy(() -> IdxReader.readLabels(file, 10, HOW_TO))
        .isInstanceOf(DatasetException.class)
        .hasMessageStartingWith(file + ": corrupt gzip data");
  }

  @Test
  void truncatedGzipStreamIsReported() {
    byte[] compressed = gzip(idxImages(3, 2, 3, PIXELS));
    Path file = write(dir.resolve("images.gz"), Arrays.copyOf(compressed, compressed.length / 2));

    assertThatThrownBy(() -> IdxReader.readImages(file, HOW_TO))
        .isInstanceOf(DatasetException.class)
        .hasMessageContaining("corrupt gzip data (the compressed stream ends early, so the file is truncated)");
  }

  @Test
  void countMismatchNamesBothFilesAndCounts() {
    Path images = write(dir.resolve("train-images"), idxImages(3, 2, 3, PIXELS));
    Path labels = write(dir.resolve("t10k-labels"), idxLabels((byte) 1, (byte) 2));

    assertThatThrownBy(() -> IdxReader.read("tiny", images, labels, HOW_TO))
        .isInstanceOf(DatasetException.class)
        .hasMessageContaining("image file " + images + " holds 3 images")
        .hasMessageContaining("label file " + labels + " holds 2 labels")
        .hasMessageContaining("same split");
  }

  @Test
  void labelOutOfRangeNamesLabelAndIndex() {
    Path images = write(dir.resolve("images"), idxImages(3, 2, 3, PIXELS));
    Path labels = write(dir.resolve("labels"), idxLabels((byte) 3, (byte) 10, (byte) 1));

    assertThatThrownBy(() -> IdxReader.read("tiny", images, labels, HOW_TO))
        .isInstanceOf(DatasetException.class)
        .hasMessageStartingWith(labels.toString())
        .hasMessageContaining("label 10 at index 1 is out of range 0..9");
  }

  @Test
  void labelBytesAreUnsigned() {
    Path labels = write(dir.resolve("labels"), idxLabels((byte) 200));

    assertThatThrownBy(() -> IdxReader.readLabels(labels, 10, HOW_TO))
        .isInstanceOf(DatasetException.class)
        .hasMessageContaining("label 200 at index 0");
  }

  private static float[] expectedPixels(byte[] bytes) {
    float[] out = new float[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      out[i] = (bytes[i] & 0xFF) / 255f;
    }
    return out;
  }
}
