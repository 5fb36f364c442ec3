package org.tfprune.testing;

import java.util.Arrays;
import org.tfprune.train.TrainingData;

/** In-memory labelled data for tests: row-major features and integer labels. */
public final class ArrayData implements TrainingData {
  private final float[] x;
  private final int[] y;
  private final int featureSize;
  private final int classes;

  public ArrayData(float[] x, int[] y, int featureSize, int classes) {
    if (x.length != y.length * featureSize) {
      throw new IllegalArgumentException("features/labels mismatch");
    }
    this.x = x;
    this.y = y;
    this.featureSize = featureSize;
    this.classes = classes;
  }

  @Override
  public int size() {
    return y.length;
  }

  @Override
  public int featureSize() {
    return featureSize;
  }

  @Override
  public int numClasses() {
    return classes;
  }

  @Override
  public void fill(int[] indices, float[] features, float[] oneHot) {
    Arrays.fill(oneHot, 0, indices.length * classes, 0f);
    for (int i = 0; i < indices.length; i++) {
      System.arraycopy(x, indices[i] * featureSize, features, i * featureSize, featureSize);
      oneHot[i * classes + y[indices[i]]] = 1f;
    }
  }

  @Override
  public void fill(int[] indices, int[] selected, float[] features, float[] oneHot) {
    Arrays.fill(oneHot, 0, indices.length * classes, 0f);
    for (int i = 0; i < indices.length; i++) {
      int base = indices[i] * featureSize;
      for (int j = 0; j < selected.length; j++) {
        features[i * selected.length + j] = x[base + selected[j]];
      }
      oneHot[i * classes + y[indices[i]]] = 1f;
    }
  }

  /** All features, row-major (a copy). */
  public float[] features() {
    return x.clone();
  }

  /** The first {@code n} examples' features (a copy). */
  public float[] features(int n) {
    return Arrays.copyOf(x, n * featureSize);
  }

  public int label(int i) {
    return y[i];
  }

  public int[] labels() {
    return y.clone();
  }

  /** A copy with feature value {@code index} of example {@code example} replaced. */
  public ArrayData withFeature(int example, int index, float value) {
    float[] c = x.clone();
    c[example * featureSize + index] = value;
    return new ArrayData(c, y, featureSize, classes);
  }
}
