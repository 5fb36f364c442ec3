package org.tfprune.data;

import java.util.List;

/**
 * A labelled data set on disk or in memory, read shard by shard in a fixed order: what every
 * reader of this package ({@link TfRecordReader}, {@link NpzReader}, {@link NpyReader}, {@link
 * ArrayReader}, {@link BatchReader}) answers. {@link DataLoader} decides whether a reader's examples
 * are copied into memory or streamed.
 *
 * <p>The values a cursor gives are already scaled by the reader's {@link InputScale}.
 */
public interface ExampleReader {
  /** The file, glob or description of the data, for messages. */
  String source();

  /** The shape of one example, e.g. {@code {28, 28, 1}}; a fresh copy. */
  int[] exampleShape();

  /** The shards in reading order; an unshuffled pass reads them one after the other. */
  List<? extends Shard> shards();

  /** The number of values of one example: the product of {@link #exampleShape()}. */
  default int exampleSize() {
    return ExampleShapes.size(exampleShape());
  }

  /** The number of examples in all shards. */
  default long size() {
    return shards().stream().mapToLong(Shard::size).sum();
  }

  /** A part of the data read sequentially: a file, or a range of one. */
  interface Shard {
    /** The file (and range) for messages. */
    String name();

    /** The number of examples. */
    long size();

    /** Opens a cursor at the shard's first example. */
    Cursor open();
  }

  /** Reads one shard's examples in order. Not thread-safe; close it when done. */
  interface Cursor extends AutoCloseable {
    /**
     * Reads the next example's {@code exampleSize()} values into {@code features} at {@code
     * offset}; returns false at the end of the shard.
     *
     * @throws DataException if the record is malformed
     */
    boolean next(float[] features, int offset);

    /** The label of the example {@link #next} read last. */
    int label();

    /** The index in its file of the example {@link #next} read last, for messages. */
    long record();

    /** The file of the example read last, for messages. */
    String file();

    @Override
    void close();
  }
}
