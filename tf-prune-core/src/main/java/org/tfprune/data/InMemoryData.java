package org.tfprune.data;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;
import static com.google.common.base.Preconditions.checkPositionIndexes;

import java.util.Arrays;
import org.tfprune.train.TrainingData;

/**
 * A checked data set held in memory: what {@link DataLoader} makes of data that fits the heap, and
 * what {@link TrainingData#of} makes of a caller's arrays.
 */
public final class InMemoryData implements TrainingData {
  private final String name;
  private final int[] shape;
  private final int exampleSize;
  private final float[] features;
  private final int[] labels;
  private final int numClasses;

  InMemoryData(String name, int[] shape, float[] features, int[] labels, int numClasses) {
    this.name = name;
    this.shape = shape.clone();
    this.exampleSize = features.length / Math.max(1, labels.length);
    this.features = features;
    this.labels = labels;
    this.numClasses = numClasses;
  }

  /**
   * Data held in arrays (not copied), named {@code "arrays"} with a flat example shape:
   * {@code features} row-major, one row of equal length per entry of {@code labels}, which are
   * class indices in {@code [0, numClasses)}.
   */
  public static InMemoryData of(float[] features, int[] labels, int numClasses) {
    checkNotNull(features, "features");
    checkNotNull(labels, "labels");
    checkArgument(labels.length > 0, "no examples: the label array is empty");
    checkArgument(features.length % labels.length == 0, "%s feature values do not split into "
        + "%s examples of equal size: pass one row of features per label", features.length,
        labels.length);
    checkArgument(numClasses > 1, "need at least 2 classes, got %s", numClasses);
    for (int i = 0; i < labels.length; i++) {
      checkArgument(labels[i] >= 0 && labels[i] < numClasses,
          "label %s of example %s is outside [0, %s): labels are class indices", labels[i], i,
          numClasses);
    }
    return new InMemoryData("arrays", new int[] {features.length / labels.length}, features,
        labels, numClasses);
  }

  /** The name of the data for messages (its file or glob). */
  public String name() {
    return name;
  }

  /** The shape of one example; a fresh copy. */
  public int[] exampleShape() {
    return shape.clone();
  }

  /** All feature values, row-major; a fresh copy. */
  public float[] features() {
    return features.clone();
  }

  /** All labels; a fresh copy. */
  public int[] labels() {
    return labels.clone();
  }

  /** Examples {@code [from, to)}, copied. */
  public InMemoryData slice(int from, int to) {
    checkPositionIndexes(from, to, labels.length);
    return new InMemoryData(name, shape, Arrays.copyOfRange(features, from * exampleSize,
        to * exampleSize), Arrays.copyOfRange(labels, from, to), numClasses);
  }

  /**
   * Splits off the last {@code fraction} of the examples (as Keras' {@code validation_split}
   * does): returns {training, held out}.
   */
  public InMemoryData[] holdOut(double fraction) {
    checkArgument(fraction > 0 && fraction < 1, "held-out fraction %s must be in (0, 1)",
        fraction);
    int held = (int) Math.round(labels.length * fraction);
    checkArgument(held > 0 && held < labels.length, "holding out %s of %s examples leaves an "
        + "empty part", (Object) fraction, labels.length);
    return new InMemoryData[] {slice(0, labels.length - held),
        slice(labels.length - held, labels.length)};
  }

  @Override
  public int size() {
    return labels.length;
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
  public void fill(int[] indices, float[] x, float[] oneHot) {
    Arrays.fill(oneHot, 0, indices.length * numClasses, 0f);
    for (int i = 0; i < indices.length; i++) {
      System.arraycopy(features, indices[i] * exampleSize, x, i * exampleSize, exampleSize);
      oneHot[i * numClasses + labels[indices[i]]] = 1f;
    }
  }

  @Override
  public void fill(int[] indices, int[] selected, float[] x, float[] oneHot) {
    Arrays.fill(oneHot, 0, indices.length * numClasses, 0f);
    for (int i = 0; i < indices.length; i++) {
      int base = indices[i] * exampleSize;
      for (int j = 0; j < selected.length; j++) {
        x[i * selected.length + j] = features[base + selected[j]];
      }
      oneHot[i * numClasses + labels[indices[i]]] = 1f;
    }
  }

  @Override
  public String toString() {
    return "InMemoryData[" + name + ": " + labels.length + " x " + Arrays.toString(shape) + ", "
        + numClasses + " classes]";
  }
}
