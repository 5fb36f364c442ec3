package org.tfprune.data;

import static com.google.common.base.Preconditions.checkNotNull;

import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * Data a Java program passes as batches, without writing files: an {@link Iterable} of {@link
 * Batch}es, each call of {@code iterator()} one pass over the same examples in the same order. The
 * reader counts the examples with one pass when it is created; {@link DataLoader} then copies them
 * into memory or streams them again each epoch.
 */
public final class BatchReader implements ExampleReader {
  private final String name;
  private final int[] shape;
  private final int exampleSize;
  private final Iterable<Batch> batches;
  private final long size;

  private BatchReader(String name, int[] shape, Iterable<Batch> batches) {
    this.name = name;
    this.shape = shape.clone();
    this.exampleSize = ExampleShapes.size(shape);
    this.batches = batches;
    long n = 0;
    for (Batch b : batches) {
      checkBatch(b, n);
      n += b.size();
    }
    this.size = n;
  }

  /**
   * Data of examples of {@code exampleShape} from {@code batches}.
   *
   * @param name a name for messages, e.g. {@code "my-images"}
   */
  public static BatchReader of(String name, int[] exampleShape, Iterable<Batch> batches) {
    checkNotNull(name, "name");
    checkNotNull(exampleShape, "exampleShape");
    checkNotNull(batches, "batches");
    ExampleShapes.checkPositive(exampleShape);
    return new BatchReader(name, exampleShape, batches);
  }

  private void checkBatch(Batch b, long firstExample) {
    if (b.features().length != b.size() * exampleSize) {
      throw new ShapeMismatchException(name, firstExample, String.format(
          "the batch starting here holds %d values for %d examples, but examples of shape %s "
              + "need %d", b.features().length, b.size(), Arrays.toString(shape),
          (long) b.size() * exampleSize), "Give each batch labels.length * "
          + exampleSize + " feature values, row-major.");
    }
  }

  @Override
  public String source() {
    return name;
  }

  @Override
  public int[] exampleShape() {
    return shape.clone();
  }

  @Override
  public List<Shard> shards() {
    return List.of(new SingleShard(name, size, () -> new BatchCursor(batches.iterator())));
  }

  private final class BatchCursor implements Cursor {
    private final Iterator<Batch> it;
    private Batch current;
    private int inBatch;
    private long record = -1;

    BatchCursor(Iterator<Batch> it) {
      this.it = it;
    }

    @Override
    public boolean next(float[] features, int offset) {
      while (current == null || inBatch >= current.size()) {
        if (!it.hasNext()) {
          return false;
        }
        current = it.next();
        checkBatch(current, record + 1);
        inBatch = 0;
      }
      System.arraycopy(current.features(), inBatch * exampleSize, features, offset, exampleSize);
      inBatch++;
      record++;
      return true;
    }

    @Override
    public int label() {
      return current.labels()[inBatch - 1];
    }

    @Override
    public long record() {
      return record;
    }

    @Override
    public String file() {
      return name;
    }

    @Override
    public void close() {}
  }
}
