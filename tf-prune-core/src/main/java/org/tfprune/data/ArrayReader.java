package org.tfprune.data;

import static com.google.common.base.Preconditions.checkNotNull;

import java.util.Arrays;
import java.util.List;

/**
 * Examples already in memory as arrays (for instance read by another reader, such as the IDX
 * reader of the examples module), behind the same interface as the file readers. The values are
 * used as given.
 */
public final class ArrayReader implements ExampleReader {
  private final String name;
  private final int[] shape;
  private final float[] features;
  private final int[] labels;
  private final int exampleSize;

  private ArrayReader(String name, int[] shape, float[] features, int[] labels) {
    this.name = name;
    this.shape = shape.clone();
    this.features = features;
    this.labels = labels;
    this.exampleSize = ExampleShapes.size(shape);
    if ((long) labels.length * exampleSize != features.length) {
      throw new CountMismatchException(name, -1, String.format("%d labels of examples of shape %s"
          + " need %d feature values, got %d (%d examples)", labels.length, Arrays.toString(shape),
          (long) labels.length * exampleSize, features.length, features.length / exampleSize),
          "Pass one label per example.");
    }
  }

  /**
   * Examples {@code features} (row-major, {@code labels.length * prod(shape)} values) with {@code
   * labels}. The arrays are not copied: do not change them while the reader is in use.
   */
  public static ArrayReader of(String name, int[] exampleShape, float[] features, int[] labels) {
    checkNotNull(name, "name");
    checkNotNull(exampleShape, "exampleShape");
    checkNotNull(features, "features");
    checkNotNull(labels, "labels");
    ExampleShapes.checkPositive(exampleShape);
    return new ArrayReader(name, exampleShape, features, labels);
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
    return List.of(new SingleShard(name, labels.length, ArrayCursor::new));
  }

  private final class ArrayCursor implements Cursor {
    private int next;

    @Override
    public boolean next(float[] out, int offset) {
      if (next >= labels.length) {
        return false;
      }
      System.arraycopy(features, next * exampleSize, out, offset, exampleSize);
      next++;
      return true;
    }

    @Override
    public int label() {
      return labels[next - 1];
    }

    @Override
    public long record() {
      return next - 1;
    }

    @Override
    public String file() {
      return name;
    }

    @Override
    public void close() {}
  }
}
