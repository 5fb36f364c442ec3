package org.tfprune.examples.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Small MNIST-style IDX data directories for the tests, well-formed or damaged on purpose. */
final class IdxFixture {
  static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
  static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
  static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
  static final String TEST_LABELS = "t10k-labels-idx1-ubyte";

  private IdxFixture() {}

  /** An IDX image file: header {@code 0x803, count, rows, columns}, then {@code pixels}. */
  static byte[] images(int count, int rows, int columns, byte[] pixels) {
    return ByteBuffer.allocate(16 + pixels.length).putInt(0x803).putInt(count).putInt(rows)
        .putInt(columns).put(pixels).array();
  }

  /** An IDX label file: header {@code 0x801, count}, then {@code labels}. */
  static byte[] labels(int count, byte[] labels) {
    return ByteBuffer.allocate(8 + labels.length).putInt(0x801).putInt(count).put(labels)
        .array();
  }

  /**
   * A directory {@code dir} holding the first {@code train} training and {@code test} test
   * examples of the real MNIST files in {@code mnist} (raw IDX files).
   */
  static Path mnistSubset(Path mnist, Path dir, int train, int test) throws IOException {
    Files.createDirectories(dir);
    copyHead(mnist.resolve(TRAIN_IMAGES), mnist.resolve(TRAIN_LABELS), dir, TRAIN_IMAGES,
        TRAIN_LABELS, train);
    copyHead(mnist.resolve(TEST_IMAGES), mnist.resolve(TEST_LABELS), dir, TEST_IMAGES,
        TEST_LABELS, test);
    return dir;
  }

  private static void copyHead(Path images, Path labels, Path dir, String imagesName,
      String labelsName, int n) throws IOException {
    byte[] img = Files.readAllBytes(images);
    ByteBuffer h = ByteBuffer.wrap(img);
    int rows = h.getInt(8);
    int columns = h.getInt(12);
    Files.write(dir.resolve(imagesName), images(n, rows, columns,
        Arrays.copyOfRange(img, 16, 16 + n * rows * columns)));
    byte[] lab = Files.readAllBytes(labels);
    Files.write(dir.resolve(labelsName), labels(n, Arrays.copyOfRange(lab, 8, 8 + n)));
  }

  /** A copy of the data directory {@code from} at {@code to}. */
  static Path copy(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    for (String f : new String[] {TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS}) {
      Files.copy(from.resolve(f), to.resolve(f));
    }
    return to;
  }

  /** Random images of {@code rows x columns} with labels {@code i % 10}, train and test. */
  static Path synthetic(Path dir, int train, int test, int rows, int columns, long seed)
      throws IOException {
    Files.createDirectories(dir);
    java.util.Random r = new java.util.Random(seed);
    for (String[] split : new String[][] {{TRAIN_IMAGES, TRAIN_LABELS, "" + train},
        {TEST_IMAGES, TEST_LABELS, "" + test}}) {
      int n = Integer.parseInt(split[2]);
      byte[] pixels = new byte[n * rows * columns];
      r.nextBytes(pixels);
      byte[] labels = new byte[n];
      for (int i = 0; i < n; i++) {
        labels[i] = (byte) (i % 10);
      }
      Files.write(dir.resolve(split[0]), images(n, rows, columns, pixels));
      Files.write(dir.resolve(split[1]), labels(n, labels));
    }
    return dir;
  }
}
