package org.tfprune.data;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Reads a shard's examples ahead on a thread of its own, so that the shards a stream reads in turn
 * are read (and their images decoded) in parallel, as {@code tf.data}'s deterministic parallel
 * interleave does. The examples come out in the shard's order, so the stream's order does not
 * depend on timing.
 */
final class PrefetchingCursor implements ExampleReader.Cursor {
  private static final Object END = new Object();

  private record Item(float[] features, int label, long record, String file) {}

  private final BlockingQueue<Object> queue;
  private final Thread thread;
  private volatile boolean closed;
  private Item current;
  private boolean ended;

  PrefetchingCursor(ExampleReader.Shard shard, int exampleSize, int ahead) {
    this.queue = new ArrayBlockingQueue<>(Math.max(1, ahead));
    this.thread = new Thread(() -> read(shard, exampleSize), "tf-prune-shard " + shard.name());
    thread.setDaemon(true);
    thread.start();
  }

  private void read(ExampleReader.Shard shard, int exampleSize) {
    try (ExampleReader.Cursor c = shard.open()) {
      while (!closed) {
        float[] x = new float[exampleSize];
        if (!c.next(x, 0)) {
          queue.put(END);
          return;
        }
        queue.put(new Item(x, c.label(), c.record(), c.file()));
      }
    } catch (InterruptedException e) {
      // closed
    } catch (RuntimeException | Error e) {
      if (!closed) {
        try {
          queue.put(e);
        } catch (InterruptedException ignored) {
          // closed
        }
      }
    }
  }

  @Override
  public boolean next(float[] features, int offset) {
    if (ended) {
      return false;
    }
    Object o;
    try {
      o = queue.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading ahead", e);
    }
    if (o == END) {
      ended = true;
      return false;
    }
    if (o instanceof RuntimeException e) {
      throw e;
    }
    if (o instanceof Error e) {
      throw e;
    }
    current = (Item) o;
    System.arraycopy(current.features(), 0, features, offset, current.features().length);
    return true;
  }

  @Override
  public int label() {
    return current.label();
  }

  @Override
  public long record() {
    return current.record();
  }

  @Override
  public String file() {
    return current.file();
  }

  @Override
  public void close() {
    closed = true;
    ReaderThreads.stop(thread, queue);
  }
}
