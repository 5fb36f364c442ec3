package org.tfprune.train;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import java.util.Arrays;

/** {@link TrainingData} over arrays in memory: row-major features and class indices. */
final class ArrayTrainingData implements TrainingData {
  private final float[] features;
  private final int[] labels;
  private final int featureSize;
  private final int numClasses;

  ArrayTrainingData(float[] features, int[] labels, int numClasses) {
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
    this.features = features;
    this.labels = labels;
    this.featureSize = features.length / labels.length;
    this.numClasses = numClasses;
  }

  @Override
  public int size() {
    return labels.length;
  }

  @Override
  public int featureSize() {
    return featureSize;
  }

  @Override
  public int numClasses() {
    return numClasses;
  }

  @Override
  public void fill(int[] indices, float[] x, float[] oneHot) {
    Arrays.fill(oneHot, 0, indices.length * numClasses, 0f);
    for (int i = 0; i < indices.length; i++) {
      System.arraycopy(features, indices[i] * featureSize, x, i * featureSize, featureSize);
      oneHot[i * numClasses + labels[indices[i]]] = 1f;
    }
  }
}
