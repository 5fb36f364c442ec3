package org.tfprune.examples.data;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the binary version of CIFAR-10 ({@code cifar-10-batches-bin}), raw or gzipped.
 *
 * <p>A batch file is a sequence of 3073-byte records: one label byte ({@code 0..9}) then 3072 pixel
 * bytes, the 1024 red values, then the 1024 green, then the 1024 blue, each a 32x32 image in
 * row-major order. The reader converts them to channels-last ({@code {32, 32, 3}}) floats in {@code
 * [0, 1]}.
 */
public final class Cifar10Reader {
  /** Height and width of an image. */
  public static final int IMAGE_SIZE = 32;

  /** Colour channels: red, green, blue. */
  public static final int CHANNELS = 3;

  /** Pixel bytes in one record: {@code 32 * 32 * 3}. */
  public static final int PIXEL_BYTES = IMAGE_SIZE * IMAGE_SIZE * CHANNELS;

  /** Bytes in one record: one label byte and the pixels. */
  public static final int RECORD_BYTES = 1 + PIXEL_BYTES;

  /** The number of classes; labels are {@code 0..9}. */
  public static final int NUM_CLASSES = 10;

  /** The training batch files of {@code cifar-10-batches-bin}. */
  public static final List<String> TRAIN_FILES =
      List.of(
          "data_batch_1.bin",
          "data_batch_2.bin",
          "data_batch_3.bin",
          "data_batch_4.bin",
          "data_batch_5.bin");

  /** The test batch file of {@code cifar-10-batches-bin}. */
  public static final List<String> TEST_FILES = List.of("test_batch.bin");

  private static final int PLANE = IMAGE_SIZE * IMAGE_SIZE;

  private Cifar10Reader() {}

  /**
   * Reads batch files, in the order given, into one data set of shape {@code {32, 32, 3}}.
   *
   * @param name the name of the data set, e.g. {@code "cifar10-train"}
   * @param batchFiles one or more batch files, e.g. {@code data_batch_1.bin} or its {@code .gz}
   * @param howToGetData a sentence telling how to get the files, used in the message when one is
   *     missing or damaged
   * @throws DatasetException if a file is missing, empty, not a whole number of records, or has a
   *     label outside {@code 0..9}
   */
  public static LabeledImages read(String name, List<Path> batchFiles, String howToGetData) {
    checkNotNull(name, "name");
    checkNotNull(batchFiles, "batchFiles");
    checkArgument(!batchFiles.isEmpty(), "batchFiles must not be empty");
    List<byte[]> batches = new ArrayList<>(batchFiles.size());
    long records = 0;
    for (Path file : batchFiles) {
      byte[] batch = readBatch(file, howToGetData);
      batches.add(batch);
      records += batch.length / RECORD_BYTES;
    }
    if (records * PIXEL_BYTES > Integer.MAX_VALUE - 8) {
      throw new DatasetException(
          String.format(
              "%s: %d records of %d pixels do not fit in one Java array. Read fewer batch files"
                  + " at a time: %s",
              name, records, PIXEL_BYTES, batchFiles));
    }
    float[] features = new float[(int) records * PIXEL_BYTES];
    int[] labels = new int[(int) records];
    int example = 0;
    for (byte[] batch : batches) {
      for (int offset = 0; offset < batch.length; offset += RECORD_BYTES, example++) {
        labels[example] = batch[offset] & 0xFF;
        int out = example * PIXEL_BYTES;
        for (int p = 0; p < PLANE; p++) {
          // Planar R..., G..., B... -> interleaved RGB per pixel (NHWC).
          for (int c = 0; c < CHANNELS; c++) {
            features[out + p * CHANNELS + c] = DataFiles.pixel(batch[offset + 1 + c * PLANE + p]);
          }
        }
      }
    }
    return LabeledImages.adopt(
        name, new int[] {IMAGE_SIZE, IMAGE_SIZE, CHANNELS}, features, labels, NUM_CLASSES);
  }

  /** Reads one batch file and checks its size and labels; returns its raw records. */
  static byte[] readBatch(Path file, String howToGetData) {
    byte[] batch;
    boolean gzip;
    try (DataFiles.Source source = DataFiles.open(file, howToGetData)) {
      batch = source.readAll();
      gzip = source.gzip();
    }
    String size = gzip ? "decompressed size" : "size";
    String fix =
        "The file is truncated or is not from the binary version of CIFAR-10"
            + " (cifar-10-batches-bin; the Python and MATLAB versions are not supported, and"
            + " CIFAR-100 records are 3074 bytes). Replace it with the file from"
            + " cifar-10-binary.tar.gz. "
            + howToGetData;
    if (batch.length == 0) {
      throw DatasetException.forFile(file, "is empty, expected 3073-byte CIFAR-10 records", fix);
    }
    if (batch.length % RECORD_BYTES != 0) {
      throw DatasetException.forFile(
          file,
          String.format(
              "%s %d bytes is not a multiple of the %d-byte CIFAR-10 record (1 label byte + %d"
                  + " pixel bytes): whole records %d, bytes left over %d",
              size,
              batch.length,
              RECORD_BYTES,
              PIXEL_BYTES,
              batch.length / RECORD_BYTES,
              batch.length % RECORD_BYTES),
          fix);
    }
    for (int offset = 0; offset < batch.length; offset += RECORD_BYTES) {
      int label = batch[offset] & 0xFF;
      if (label >= NUM_CLASSES) {
        throw DatasetException.forFile(
            file,
            String.format(
                "record %d (byte offset %d) has label %d, out of range 0..%d",
                offset / RECORD_BYTES, offset, label, NUM_CLASSES - 1),
            fix);
      }
    }
    return batch;
  }
}
