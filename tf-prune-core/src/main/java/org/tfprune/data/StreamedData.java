package org.tfprune.data;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import java.util.Arrays;
import org.tfprune.train.TrainingData;

/**
 * A data set read from disk while training runs, for data larger than memory: a background
 * thread reads shuffled batches into a bounded queue ({@link ShuffledStream}), so a training step
 * finds its batch ready whenever the disk keeps up; {@link #stats()} tells whether it did.
 *
 * <p>Streamed data has no random access. In <em>shuffled</em> mode (training), {@link #fill}
 * ignores which indices it is asked for and delivers the stream's next {@code indices.length}
 * examples; each epoch delivers {@code size() / batchSize} whole batches, as the trainer consumes
 * them, and epoch {@code e} of a seed is always the same sequence; {@link #position} restarts the
 * stream at any batch of any epoch, so a run resumed from a checkpoint reads what an
 * uninterrupted run read from there on. In <em>in-order</em> mode
 * (evaluation), {@link #fill} must be asked for consecutive indices from 0, as the trainer's
 * evaluation does, and delivers exactly those examples. Close it to stop the reader thread.
 */
public final class StreamedData implements TrainingData, AutoCloseable {
  private final ExampleReader reader;
  private final int numClasses;
  private final int size;
  private final int exampleSize;
  private final int batchSize;
  private final boolean shuffle;
  private final long seed;
  private final int bufferSize;
  private final int queueBatches;
  private ShuffledStream stream;
  private ShuffledStream.Chunk chunk;
  private int inChunk;
  private long position;
  /** Shuffled mode: the number, counted over all epochs, of the batch the stream gives next. */
  private long nextBatch;
  private long batches;
  private long waitNanos;
  private long busyBefore;

  private StreamedData(ExampleReader reader, int numClasses, int batchSize, boolean shuffle,
      long seed, int bufferSize, int queueBatches) {
    long n = reader.size();
    checkArgument(n <= Integer.MAX_VALUE, "%s holds %s examples, more than the trainer counts",
        reader.source(), n);
    checkArgument(batchSize > 0, "batch size must be positive, got %s", batchSize);
    checkArgument(!shuffle || n >= batchSize, "%s holds %s examples, fewer than one batch of %s",
        reader.source(), n, batchSize);
    this.reader = reader;
    this.numClasses = numClasses;
    this.size = (int) n;
    this.exampleSize = reader.exampleSize();
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.seed = seed;
    this.bufferSize = bufferSize;
    this.queueBatches = queueBatches;
  }

  /**
   * Training data streamed in shuffled batches of {@code batchSize}.
   *
   * @param bufferSize examples in the shuffle buffer (the larger, the closer to a full shuffle)
   * @param queueBatches batches read ahead
   */
  public static StreamedData shuffled(ExampleReader reader, int numClasses, int batchSize,
      long seed, int bufferSize, int queueBatches) {
    return new StreamedData(reader, numClasses, batchSize, true, seed, bufferSize, queueBatches);
  }

  /** Evaluation data streamed in order, read ahead in chunks of {@code chunkSize}. */
  public static StreamedData inOrder(ExampleReader reader, int numClasses, int chunkSize,
      int queueBatches) {
    return new StreamedData(reader, numClasses, chunkSize, false, 0, 1, queueBatches);
  }

  /** The reader the data comes from. */
  public ExampleReader reader() {
    return reader;
  }

  /** The batch size of shuffled mode, or the chunk size of in-order mode. */
  public int batchSize() {
    return batchSize;
  }

  /** Batches delivered, reader busy time and the time {@link #fill} waited, so far. */
  public synchronized StreamStats stats() {
    long busy = busyBefore + (stream == null ? 0 : stream.busyNanos());
    return new StreamStats(batches, busy, waitNanos);
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public int featureSize() {
    return exampleSize;
  }

  @Override
  public int numClasses() {
    return numClasses;
  }

  @Override
  public synchronized void fill(int[] indices, float[] features, float[] oneHot) {
    if (shuffle) {
      checkArgument(indices.length == batchSize, "streamed training data delivers batches of %s, "
          + "asked for %s examples", batchSize, indices.length);
    } else if (indices.length > 0) {
      for (int i = 1; i < indices.length; i++) {
        checkArgument(indices[i] == indices[0] + i, "streamed evaluation data is read in order: "
            + "ask for consecutive examples (asked for %s)", Arrays.toString(indices));
      }
      if (indices[0] == 0 && position != 0) {
        restart();
      }
      checkArgument(indices[0] == position, "streamed evaluation data is read in order: the "
          + "next example is %s, asked for %s", position, indices[0]);
    }
    if (stream == null) {
      restart();
    }
    Arrays.fill(oneHot, 0, indices.length * numClasses, 0f);
    try {
      for (int i = 0; i < indices.length; i++) {
        if (chunk == null || inChunk >= chunk.size()) {
          long t0 = System.nanoTime();
          chunk = stream.take();
          waitNanos += System.nanoTime() - t0;
          inChunk = 0;
          checkState(chunk != null, "%s ended after %s examples, expected %s", reader.source(),
              position, size);
        }
        System.arraycopy(chunk.features(), inChunk * exampleSize, features, i * exampleSize,
            exampleSize);
        oneHot[i * numClasses + chunk.labels()[inChunk]] = 1f;
        inChunk++;
        position++;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for data", e);
    }
    batches++;
    if (shuffle) {
      nextBatch++;
    }
  }

  /**
   * Shuffled mode: makes the next batch {@link #fill} gives batch number {@code batch} of the
   * stream, counted from the first batch of epoch 0 ({@code size() / batchSize()} batches an
   * epoch). Does nothing when the stream is there already; otherwise restarts it at that batch's
   * epoch and reads past the batches before it. In-order mode ignores it.
   */
  @Override
  public synchronized void position(long batch) {
    checkArgument(batch >= 0, "batch must be >= 0, got %s", batch);
    if (!shuffle || (stream != null && batch == nextBatch)) {
      return;
    }
    long perEpoch = size / batchSize;
    restart(batch / perEpoch);
    try {
      for (long skip = batch % perEpoch; skip > 0; skip--) {
        long t0 = System.nanoTime();
        checkState(stream.take() != null, "%s ended early", reader.source());
        waitNanos += System.nanoTime() - t0;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for data", e);
    }
    nextBatch = batch;
  }

  private void restart() {
    restart(0);
  }

  private void restart(long firstEpoch) {
    if (stream != null) {
      busyBefore += stream.busyNanos();
      stream.close();
    }
    stream = new ShuffledStream(reader, numClasses, batchSize, shuffle, seed, bufferSize,
        queueBatches, shuffle, firstEpoch);
    chunk = null;
    inChunk = 0;
    position = 0;
    nextBatch = firstEpoch * (size / batchSize);
  }

  @Override
  public synchronized void close() {
    if (stream != null) {
      busyBefore += stream.busyNanos();
      stream.close();
      stream = null;
    }
  }
}
