package org.tfprune.examples.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Builds small IDX and CIFAR-10 files for the tests. */
final class TestFiles {
  private TestFiles() {}

  /** An IDX image file: header {@code magic, count, rows, columns}, then {@code pixels}. */
  static byte[] idxImages(int magic, int count, int rows, int columns, byte[] pixels) {
    return ByteBuffer.allocate(16 + pixels.length)
        .putInt(magic)
        .putInt(count)
        .putInt(rows)
        .putInt(columns)
        .put(pixels)
        .array();
  }

  /** A well-formed IDX image file. */
  static byte[] idxImages(int count, int rows, int columns, byte[] pixels) {
    return idxImages(IdxReader.IMAGES_MAGIC, count, rows, columns, pixels);
  }

  /** An IDX label file: header {@code magic, count}, then {@code labels}. */
  static byte[] idxLabels(int magic, int count, byte[] labels) {
    return ByteBuffer.allocate(8 + labels.length).putInt(magic).putInt(count).put(labels).array();
  }

  /** A well-formed IDX label file. */
  static byte[] idxLabels(byte... labels) {
    return idxLabels(IdxReader.LABELS_MAGIC, labels.length, labels);
  }

  static byte[] gzip(byte[] data) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
      out.write(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static Path write(Path file, byte[] data) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      return Files.write(file, data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The bytes {@code 0, 1, 2, ...} modulo 256, so every position has a recognisable value. */
  static byte[] ramp(int length, int start) {
    byte[] bytes = new byte[length];
    for (int i = 0; i < length; i++) {
      bytes[i] = (byte) (start + i);
    }
    return bytes;
  }

  /** A CIFAR-10 record: the label then the planar pixel bytes derived from {@code seed}. */
  static byte[] cifarRecord(int label, int seed) {
    byte[] record = new byte[Cifar10Reader.RECORD_BYTES];
    record[0] = (byte) label;
    System.arraycopy(ramp(Cifar10Reader.PIXEL_BYTES, seed), 0, record, 1, Cifar10Reader.PIXEL_BYTES);
    return record;
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }
}
