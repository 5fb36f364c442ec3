package org.tfprune.examples.data;

import java.nio.FloatBuffer;
import java.util.Arrays;
import org.tfprune.train.TrainingData;

/** Adapts a {@link LabeledImages} to the trainer's {@link TrainingData} without copying it. */
public final class ImagesTrainingData implements TrainingData {
  private final LabeledImages images;
  private final FloatBuffer features;
  private final int[] labels;

  public ImagesTrainingData(LabeledImages images) {
    this.images = images;
    this.features = images.featureBuffer();
    this.labels = images.labels();
  }

  public LabeledImages images() {
    return images;
  }

  @Override
  public int size() {
    return images.count();
  }

  @Override
  public int featureSize() {
    return images.featureSize();
  }

  @Override
  public int numClasses() {
    return images.numClasses();
  }

  @Override
  public void fill(int[] indices, float[] x, float[] oneHot) {
    int fs = images.featureSize();
    int nc = images.numClasses();
    Arrays.fill(oneHot, 0, indices.length * nc, 0f);
    for (int i = 0; i < indices.length; i++) {
      features.get(indices[i] * fs, x, i * fs, fs);
      oneHot[i * nc + labels[indices[i]]] = 1f;
    }
  }

  @Override
  public void fill(int[] indices, int[] selected, float[] x, float[] oneHot) {
    int fs = images.featureSize();
    int nc = images.numClasses();
    Arrays.fill(oneHot, 0, indices.length * nc, 0f);
    for (int i = 0; i < indices.length; i++) {
      int base = indices[i] * fs;
      int out = i * selected.length;
      for (int j = 0; j < selected.length; j++) {
        x[out + j] = features.get(base + selected[j]);
      }
      oneHot[i * nc + labels[indices[i]]] = 1f;
    }
  }
}
