package org.tfprune.examples.data;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkElementIndex;
import static com.google.common.base.Preconditions.checkNotNull;
import static com.google.common.base.Preconditions.checkPositionIndexes;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * An immutable labelled image data set held in memory.
 *
 * <p>Example {@code i} has the features {@code features[i * featureSize() .. (i + 1) * featureSize())}
 * in row-major order of {@link #featureShape()} (channels last, e.g. {@code {28, 28, 1}} or {@code
 * {32, 32, 3}}), and the class label {@code labels[i]} in {@code [0, numClasses())}. Every feature
 * is finite (no NaN, no infinity). The readers in this package scale pixels to {@code [0, 1]}.
 *
 * <p>{@link #of} copies its arrays; accessors that return arrays return fresh arrays, and
 * {@link #featureBuffer()} gives a read-only view of all features without copying them.
 */
public final class LabeledImages {
  private final String name;
  private final int[] featureShape;
  private final int featureSize;
  private final float[] features;
  private final int[] labels;
  private final int numClasses;

  /** Takes ownership of the arrays; see {@link #of} and {@link #adopt}. */
  private LabeledImages(
      String name, int[] featureShape, float[] features, int[] labels, int numClasses) {
    checkNotNull(name, "name");
    checkArgument(!name.isBlank(), "name must not be blank");
    checkArgument(featureShape.length > 0, "%s: featureShape must have at least one dimension", name);
    long size = 1;
    for (int dim : featureShape) {
      checkArgument(
          dim > 0,
          "%s: featureShape %s has a non-positive dimension",
          name,
          Arrays.toString(featureShape));
      size *= dim;
      checkArgument(
          size <= Integer.MAX_VALUE,
          "%s: featureShape %s is too large",
          name,
          Arrays.toString(featureShape));
    }
    checkArgument(numClasses >= 1, "%s: numClasses must be at least 1, got %s", name, numClasses);
    checkArgument(
        (long) labels.length * size == features.length,
        "%s: %s labels of featureShape %s need %s feature values, got %s",
        name,
        labels.length,
        Arrays.toString(featureShape),
        (long) labels.length * size,
        features.length);
    for (int i = 0; i < labels.length; i++) {
      int label = labels[i];
      if (label < 0 || label >= numClasses) {
        throw new IllegalArgumentException(
            String.format(
                "%s: label %d of example %d is out of range [0, %d)", name, label, i, numClasses));
      }
    }
    for (int i = 0; i < features.length; i++) {
      if (!Float.isFinite(features[i])) {
        throw new IllegalArgumentException(
            String.format(
                "%s: value %d of example %d (feature %d of %d) is %s; the network cannot train"
                    + " or be measured on it. Replace or drop the example, or fix the code that"
                    + " made the features",
                name, i, i / size, i % size, size, features[i]));
      }
    }
    this.name = name;
    this.featureShape = featureShape;
    this.featureSize = (int) size;
    this.features = features;
    this.labels = labels;
    this.numClasses = numClasses;
  }

  /**
   * Creates a data set from copies of the given arrays.
   *
   * @param name a short name for messages, e.g. {@code "mnist-train"}
   * @param featureShape the shape of one example, all dimensions positive, e.g. {@code {28, 28, 1}}
   * @param features {@code labels.length * prod(featureShape)} values, row-major
   * @param labels one class label per example, each in {@code [0, numClasses)}
   * @param numClasses the number of classes, at least 1
   * @throws IllegalArgumentException if the arrays disagree in size, a label is out of range or a
   *     feature is NaN or infinite
   */
  public static LabeledImages of(
      String name, int[] featureShape, float[] features, int[] labels, int numClasses) {
    return new LabeledImages(
        name,
        checkNotNull(featureShape, "featureShape").clone(),
        checkNotNull(features, "features").clone(),
        checkNotNull(labels, "labels").clone(),
        numClasses);
  }

  /**
   * Like {@link #of}, but takes ownership of freshly allocated arrays instead of copying them, which
   * the caller must not use afterwards. For the readers in this package, whose arrays can be
   * hundreds of megabytes.
   */
  static LabeledImages adopt(
      String name, int[] featureShape, float[] features, int[] labels, int numClasses) {
    return new LabeledImages(
        name,
        checkNotNull(featureShape, "featureShape"),
        checkNotNull(features, "features"),
        checkNotNull(labels, "labels"),
        numClasses);
  }

  /** The short name given at construction, e.g. {@code "mnist-train"}. */
  public String name() {
    return name;
  }

  /** The shape of one example, e.g. {@code {28, 28, 1}}; a fresh copy. */
  public int[] featureShape() {
    return featureShape.clone();
  }

  /** The number of feature values of one example: the product of {@link #featureShape()}. */
  public int featureSize() {
    return featureSize;
  }

  /** The number of examples. */
  public int count() {
    return labels.length;
  }

  /** The number of classes; every label is in {@code [0, numClasses())}. */
  public int numClasses() {
    return numClasses;
  }

  /** The label of example {@code index}. */
  public int label(int index) {
    checkElementIndex(index, labels.length, "example index");
    return labels[index];
  }

  /** All labels; a fresh copy. */
  public int[] labels() {
    return labels.clone();
  }

  /** The labels of the given examples, in the order given (indices may repeat). */
  public int[] labels(int[] indices) {
    checkNotNull(indices, "indices");
    int[] out = new int[indices.length];
    for (int i = 0; i < indices.length; i++) {
      out[i] = labels[checkElementIndex(indices[i], labels.length, "example index")];
    }
    return out;
  }

  /**
   * The features of the given examples, gathered in the order given (indices may repeat): {@code
   * indices.length * featureSize()} values, row-major.
   */
  public float[] features(int[] indices) {
    checkNotNull(indices, "indices");
    checkArgument(
        (long) indices.length * featureSize <= Integer.MAX_VALUE,
        "%s examples of %s features do not fit in one array",
        indices.length,
        featureSize);
    float[] out = new float[indices.length * featureSize];
    for (int i = 0; i < indices.length; i++) {
      int example = checkElementIndex(indices[i], labels.length, "example index");
      System.arraycopy(features, example * featureSize, out, i * featureSize, featureSize);
    }
    return out;
  }

  /**
   * The labels of the given examples as one-hot rows: {@code indices.length * numClasses()} values,
   * row {@code i} has 1 at column {@code label(indices[i])} and 0 elsewhere.
   */
  public float[] oneHot(int[] indices) {
    checkNotNull(indices, "indices");
    float[] out = new float[indices.length * numClasses];
    for (int i = 0; i < indices.length; i++) {
      int example = checkElementIndex(indices[i], labels.length, "example index");
      out[i * numClasses + labels[example]] = 1f;
    }
    return out;
  }

  /** A read-only view of all {@code count() * featureSize()} feature values, without copying. */
  public FloatBuffer featureBuffer() {
    return FloatBuffer.wrap(features).asReadOnlyBuffer();
  }

  /** The number of examples of each class: an array of {@code numClasses()} counts. */
  public int[] classCounts() {
    int[] counts = new int[numClasses];
    for (int label : labels) {
      counts[label]++;
    }
    return counts;
  }

  /** A copy of examples {@code [from, to)}, with the same name, shape and number of classes. */
  public LabeledImages slice(int from, int to) {
    checkPositionIndexes(from, to, labels.length);
    return adopt(
        name,
        featureShape.clone(),
        Arrays.copyOfRange(features, from * featureSize, to * featureSize),
        Arrays.copyOfRange(labels, from, to),
        numClasses);
  }

  /** A copy of the first {@code min(n, count())} examples. */
  public LabeledImages head(int n) {
    checkArgument(n >= 0, "n must be non-negative, got %s", n);
    return slice(0, Math.min(n, labels.length));
  }

  /** Equal when name, shape, number of classes, labels and features are all equal. */
  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof LabeledImages other)) {
      return false;
    }
    return numClasses == other.numClasses
        && name.equals(other.name)
        && Arrays.equals(featureShape, other.featureShape)
        && Arrays.equals(labels, other.labels)
        && Arrays.equals(features, other.features);
  }

  @Override
  public int hashCode() {
    int h = name.hashCode();
    h = 31 * h + Arrays.hashCode(featureShape);
    h = 31 * h + numClasses;
    h = 31 * h + Arrays.hashCode(labels);
    return 31 * h + Arrays.hashCode(features);
  }

  /** For example {@code LabeledImages[mnist-train: 60000 x [28, 28, 1], 10 classes]}. */
  @Override
  public String toString() {
    return "LabeledImages["
        + name
        + ": "
        + labels.length
        + " x "
        + Arrays.toString(featureShape)
        + ", "
        + numClasses
        + " classes]";
  }
}
