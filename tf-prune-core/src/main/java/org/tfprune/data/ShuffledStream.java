package org.tfprune.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads a data set on a background thread into a bounded queue of batches, as {@code tf.data}
 * does with {@code list_files(shuffle) -> interleave -> shuffle(buffer) -> batch -> prefetch}:
 * each epoch visits the shards in a seeded random order, reads {@link #CYCLE} of them at a time
 * in turn, each on a thread of its own reading {@value #READ_AHEAD} examples ahead ({@link
 * PrefetchingCursor}: decoding runs in parallel, the order does not depend on timing), and passes
 * the examples through a shuffle buffer. Epoch {@code e} of a seed is always the same sequence.
 * In-order mode reads the shards one after the other without shuffling.
 *
 * <p>Every example is checked as it is read (finite values, label in range); a failure reaches
 * the consumer as the {@link DataException} the reader threw.
 */
final class ShuffledStream implements AutoCloseable {
  /** How many shards are read at a time, in turn. */
  static final int CYCLE = 4;

  /** How many examples each of the shards read in turn reads ahead on its own thread. */
  static final int READ_AHEAD = 64;

  private static final Object END = new Object();

  private final ExampleReader reader;
  private final int exampleSize;
  private final int numClasses;
  private final int batchSize;
  private final boolean shuffle;
  private final long seed;
  private final int bufferSize;
  private final boolean dropRemainder;
  private final BlockingQueue<Object> queue;
  private final Thread thread;
  private final AtomicLong busy = new AtomicLong();
  private volatile boolean closed;

  /** One batch: {@code size} examples (at most the batch size) and their labels. */
  record Chunk(float[] features, int[] labels, int size) {}

  /**
   * Starts reading at epoch {@code firstEpoch}.
   *
   * @param shuffle whether to shuffle (training) or read in order (evaluation)
   * @param dropRemainder whether each epoch delivers only whole batches (as the trainer uses)
   * @param queueBatches how many batches may wait in the queue
   */
  ShuffledStream(ExampleReader reader, int numClasses, int batchSize, boolean shuffle, long seed,
      int bufferSize, int queueBatches, boolean dropRemainder, long firstEpoch) {
    this.reader = reader;
    this.exampleSize = reader.exampleSize();
    this.numClasses = numClasses;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.seed = seed;
    this.bufferSize = Math.max(1, bufferSize);
    this.dropRemainder = dropRemainder;
    this.queue = new ArrayBlockingQueue<>(Math.max(1, queueBatches));
    this.thread = new Thread(() -> run(firstEpoch), "tf-prune-data " + reader.source());
    thread.setDaemon(true);
    thread.start();
  }

  /** The reader thread's busy time so far, in nanoseconds. */
  long busyNanos() {
    return busy.get();
  }

  /**
   * The next batch, waiting for it; null after the last batch of an in-order pass.
   *
   * @throws DataException if the reader failed
   */
  Chunk take() throws InterruptedException {
    Object o = queue.take();
    if (o == END) {
      return null;
    }
    if (o instanceof RuntimeException e) {
      throw e;
    }
    if (o instanceof Error e) {
      throw e;
    }
    return (Chunk) o;
  }

  private void run(long firstEpoch) {
    try {
      for (long epoch = firstEpoch; !closed; epoch++) {
        readEpoch(epoch);
        if (!shuffle) {
          put(END);
          return;
        }
      }
    } catch (InterruptedException e) {
      // closed
    } catch (RuntimeException | Error e) {
      if (closed) {
        return; // a read cut short by close(): nobody is waiting for it
      }
      try {
        put(e);
      } catch (InterruptedException ignored) {
        // closed
      }
    }
  }

  private void readEpoch(long epoch) throws InterruptedException {
    long start = System.nanoTime();
    SplittableRandom rng = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (epoch + 1)));
    List<? extends ExampleReader.Shard> shards = reader.shards();
    List<ExampleReader.Shard> order = new ArrayList<>(shards);
    if (shuffle) {
      for (int i = order.size() - 1; i > 0; i--) {
        int j = rng.nextInt(i + 1);
        ExampleReader.Shard t = order.get(i);
        order.set(i, order.get(j));
        order.set(j, t);
      }
    }
    long total = reader.size();
    long deliver = dropRemainder ? total / batchSize * batchSize : total;
    int cycle = shuffle ? Math.min(CYCLE, order.size()) : 1;
    int buffer = shuffle ? (int) Math.min(bufferSize, Math.max(1, total)) : 1;
    float[] bufX = new float[buffer * exampleSize];
    int[] bufY = new int[buffer];
    int filled = 0;
    long delivered = 0;
    float[] x = new float[batchSize * exampleSize];
    int[] y = new int[batchSize];
    int inBatch = 0;
    List<ExampleReader.Cursor> open = new ArrayList<>();
    int nextShard = 0;
    float[] incoming = new float[exampleSize];
    try {
      int turn = 0;
      while (delivered < deliver) {
        while (open.size() < cycle && nextShard < order.size()) {
          open.add(openShard(order.get(nextShard++), cycle));
        }
        boolean have = false;
        int label = 0;
        while (!open.isEmpty() && !have) {
          turn %= open.size();
          ExampleReader.Cursor c = open.get(turn);
          if (c.next(incoming, 0)) {
            ExampleChecks.checkFinite(incoming, 0, exampleSize, c);
            label = c.label();
            ExampleChecks.checkLabel(label, numClasses, c);
            have = true;
            turn++;
          } else {
            c.close();
            open.remove(turn);
            if (nextShard < order.size()) {
              open.add(turn, openShard(order.get(nextShard++), cycle));
            }
          }
        }
        int slot;
        if (have && filled < buffer) {
          System.arraycopy(incoming, 0, bufX, filled * exampleSize, exampleSize);
          bufY[filled++] = label;
          continue;
        }
        if (filled == 0) {
          break;
        }
        slot = shuffle ? rng.nextInt(filled) : 0;
        System.arraycopy(bufX, slot * exampleSize, x, inBatch * exampleSize, exampleSize);
        y[inBatch++] = bufY[slot];
        delivered++;
        if (have) {
          System.arraycopy(incoming, 0, bufX, slot * exampleSize, exampleSize);
          bufY[slot] = label;
        } else {
          filled--;
          System.arraycopy(bufX, filled * exampleSize, bufX, slot * exampleSize, exampleSize);
          bufY[slot] = bufY[filled];
        }
        if (inBatch == batchSize || delivered == deliver) {
          busy.addAndGet(System.nanoTime() - start);
          put(new Chunk(x, y, inBatch));
          start = System.nanoTime();
          x = new float[batchSize * exampleSize];
          y = new int[batchSize];
          inBatch = 0;
        }
      }
    } finally {
      for (ExampleReader.Cursor c : open) {
        c.close();
      }
      busy.addAndGet(System.nanoTime() - start);
    }
  }

  /** Shards read in turn read ahead in parallel; a shard read alone is read on this thread. */
  private ExampleReader.Cursor openShard(ExampleReader.Shard shard, int cycle) {
    return cycle > 1 ? new PrefetchingCursor(shard, exampleSize, READ_AHEAD) : shard.open();
  }

  private void put(Object o) throws InterruptedException {
    queue.put(o);
  }

  @Override
  public void close() {
    closed = true;
    ReaderThreads.stop(thread, queue);
  }
}
