package org.tfprune.data;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import org.tensorflow.types.TFloat32;

/**
 * A batch of examples a Java program hands to {@link BatchReader}: {@code labels.length} examples,
 * their values row-major in {@code features}, and one class index each.
 */
public record Batch(float[] features, int[] labels) {
  /** Checks that neither array is null and the labels are not empty. */
  public Batch {
    checkNotNull(features, "features");
    checkNotNull(labels, "labels");
    checkArgument(labels.length > 0, "a batch needs at least one example");
    checkArgument(features.length % labels.length == 0,
        "%s feature values do not divide into %s examples", features.length, labels.length);
  }

  /** A batch of the given arrays (not copied). */
  public static Batch of(float[] features, int[] labels) {
    return new Batch(features, labels);
  }

  /**
   * A batch copied out of a tensor whose first dimension counts the examples (e.g. {@code
   * [batch, 28, 28, 1]}).
   */
  public static Batch of(TFloat32 images, int[] labels) {
    checkNotNull(images, "images");
    checkArgument(images.shape().numDimensions() >= 1 && images.shape().size(0) == labels.length,
        "the images' first dimension %s must equal the %s labels", images.shape(), labels.length);
    float[] values = new float[Math.toIntExact(images.shape().size())];
    images.asRawTensor().data().asFloats().read(values);
    return new Batch(values, labels);
  }

  /** The number of examples. */
  public int size() {
    return labels.length;
  }
}
