package org.tfprune.examples.data;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Reads image and label files in the IDX format of MNIST and Fashion-MNIST, raw or gzipped (gzip is
 * detected by its magic bytes, not by the file name).
 *
 * <p>An image file is the big-endian header {@code 0x00000803, count, rows, columns} followed by
 * {@code count * rows * columns} unsigned pixel bytes; a label file is {@code 0x00000801, count}
 * followed by {@code count} label bytes. Every malformed input raises a {@link DatasetException}.
 */
public final class IdxReader {
  /** The magic number of an IDX file of unsigned bytes with 3 dimensions: images. */
  public static final int IMAGES_MAGIC = 0x00000803;

  /** The magic number of an IDX file of unsigned bytes with 1 dimension: labels. */
  public static final int LABELS_MAGIC = 0x00000801;

  /** The number of classes of MNIST and Fashion-MNIST; labels are {@code 0..9}. */
  public static final int NUM_CLASSES = 10;

  private static final int IMAGES_HEADER_BYTES = 16;
  private static final int LABELS_HEADER_BYTES = 8;
  private static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

  private IdxReader() {}

  /**
   * Reads an image file and its label file into one data set of shape {@code {rows, columns, 1}},
   * pixels scaled to {@code [0, 1]}.
   *
   * @param name the name of the data set, e.g. {@code "mnist-train"}
   * @param imagesFile an IDX image file, e.g. {@code train-images-idx3-ubyte} or its {@code .gz}
   * @param labelsFile the matching IDX label file, e.g. {@code train-labels-idx1-ubyte}
   * @param howToGetData a sentence telling how to get the files, used in the message when one is
   *     missing or damaged, e.g. {@code "Run `bash scripts/fetch-mnist.sh` from the repository root."}
   * @throws DatasetException if a file is missing, malformed, or the two disagree in count
   */
  public static LabeledImages read(
      String name, Path imagesFile, Path labelsFile, String howToGetData) {
    checkNotNull(name, "name");
    int[] labels = readLabels(labelsFile, NUM_CLASSES, howToGetData);
    Images images = readImages(imagesFile, howToGetData);
    if (images.count() != labels.length) {
      throw new DatasetException(
          String.format(
              "%s: image file %s holds %d images but label file %s holds %d labels. The two files"
                  + " must belong to the same split (train-images with train-labels, t10k-images"
                  + " with t10k-labels); check the paths. If they are right, get the files"
                  + " again. %s",
              name, imagesFile, images.count(), labelsFile, labels.length, howToGetData));
    }
    return LabeledImages.adopt(
        name, new int[] {images.rows(), images.columns(), 1}, images.pixels(), labels, NUM_CLASSES);
  }

  /** The contents of an IDX image file: {@code count * rows * columns} pixels in {@code [0, 1]}. */
  record Images(int count, int rows, int columns, float[] pixels) {}

  /** Reads an IDX image file; pixels are scaled to {@code [0, 1]}. */
  static Images readImages(Path file, String howToGetData) {
    try (DataFiles.Source source = DataFiles.open(file, howToGetData)) {
      ByteBuffer header = readHeader(source, IMAGES_MAGIC, IMAGES_HEADER_BYTES, howToGetData);
      int count = header.getInt(4);
      int rows = header.getInt(8);
      int columns = header.getInt(12);
      if (count < 0 || rows <= 0 || columns <= 0) {
        throw DatasetException.forFile(
            file,
            String.format(
                "invalid IDX image header: %d images of %dx%d pixels", count, rows, columns),
            damagedFix(howToGetData));
      }
      long size = (long) count * rows * columns;
      if (size > MAX_ARRAY_LENGTH) {
        throw DatasetException.forFile(
            file,
            String.format(
                "the header declares %d images of %dx%d pixels, %d bytes, more than one Java array"
                    + " holds",
                count, rows, columns, size),
            damagedFix(howToGetData));
      }
      byte[] bytes = readBody(source, (int) size, count, "images of " + rows + "x" + columns,
          IMAGES_HEADER_BYTES, howToGetData);
      float[] pixels = new float[bytes.length];
      for (int i = 0; i < bytes.length; i++) {
        pixels[i] = DataFiles.pixel(bytes[i]);
      }
      return new Images(count, rows, columns, pixels);
    }
  }

  /** Reads an IDX label file whose labels must all be in {@code [0, numClasses)}. */
  static int[] readLabels(Path file, int numClasses, String howToGetData) {
    checkArgument(numClasses >= 1 && numClasses <= 256, "numClasses must be in 1..256");
    try (DataFiles.Source source = DataFiles.open(file, howToGetData)) {
      ByteBuffer header = readHeader(source, LABELS_MAGIC, LABELS_HEADER_BYTES, howToGetData);
      int count = header.getInt(4);
      if (count < 0) {
        throw DatasetException.forFile(
            file,
            "invalid IDX label header: negative label count " + count,
            damagedFix(howToGetData));
      }
      byte[] bytes = readBody(source, count, count, "labels", LABELS_HEADER_BYTES, howToGetData);
      int[] labels = new int[count];
      for (int i = 0; i < count; i++) {
        int label = bytes[i] & 0xFF;
        if (label >= numClasses) {
          throw DatasetException.forFile(
              file,
              String.format(
                  "label %d at index %d is out of range 0..%d", label, i, numClasses - 1),
              "The file is not a label file of a " + numClasses + "-class data set, or it is"
                  + " damaged. " + damagedFix(howToGetData));
        }
        labels[i] = label;
      }
      return labels;
    }
  }

  /** Reads and checks the header; returns it as a big-endian buffer of {@code headerBytes}. */
  private static ByteBuffer readHeader(
      DataFiles.Source source, int expectedMagic, int headerBytes, String howToGetData) {
    byte[] header = new byte[headerBytes];
    int read = source.read(header, 0, headerBytes);
    if (read >= 4) {
      checkMagic(source.file(), ByteBuffer.wrap(header).getInt(0), expectedMagic, howToGetData);
    }
    if (read < headerBytes) {
      throw DatasetException.forFile(
          source.file(),
          String.format(
              "truncated: the file ends after %d bytes, inside the %d-byte IDX %s header",
              read, headerBytes, kind(expectedMagic)),
          damagedFix(howToGetData));
    }
    return ByteBuffer.wrap(header);
  }

  private static void checkMagic(Path file, int found, int expected, String howToGetData) {
    if (found == expected) {
      return;
    }
    int other = expected == IMAGES_MAGIC ? LABELS_MAGIC : IMAGES_MAGIC;
    String problem =
        String.format(
            "wrong magic number %d (0x%08x), expected %d (0x%08x) for an IDX %s file",
            found, found, expected, expected, kind(expected));
    if (found == other) {
      problem += String.format("; %d is the magic number of an IDX %s file", found, kind(other));
    }
    String fix =
        String.format(
            "Check that the image and label paths are not swapped (an IDX %s file passed as the"
                + " %s file or vice versa). If the paths are right, the file is not an IDX %s file"
                + " or is damaged. %s",
            kind(other), kind(expected), kind(expected), damagedFix(howToGetData));
    throw DatasetException.forFile(file, problem, fix);
  }

  /**
   * Reads the {@code size} data bytes after the header and checks that nothing follows them.
   *
   * @param what what the {@code count} items are, for messages, e.g. {@code "images of 28x28"}
   */
  private static byte[] readBody(
      DataFiles.Source source,
      int size,
      int count,
      String what,
      int headerBytes,
      String howToGetData) {
    byte[] bytes = new byte[size];
    int read = source.read(bytes, 0, size);
    if (read < size) {
      throw DatasetException.forFile(
          source.file(),
          String.format(
              "truncated: the header declares %d %s, so expected %d bytes of data after the"
                  + " %d-byte header, found %d",
              count, what, size, headerBytes, read),
          damagedFix(howToGetData));
    }
    long extra = source.skipToEnd();
    if (extra > 0) {
      throw DatasetException.forFile(
          source.file(),
          String.format(
              "%d unexpected bytes after the data: the header declares %d %s (%d bytes after the"
                  + " %d-byte header)",
              extra, count, what, size, headerBytes),
          "The header or the data is wrong. " + damagedFix(howToGetData));
    }
    return bytes;
  }

  private static String kind(int magic) {
    return magic == IMAGES_MAGIC ? "image" : "label";
  }

  private static String damagedFix(String howToGetData) {
    return "Delete the file and get it again. " + howToGetData;
  }
}
