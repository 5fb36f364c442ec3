package org.tfprune.train;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.tfprune.testing.ArrayData;
import org.tfprune.testing.Mnist;

/** Feeding a subset of the input features: the default gather and an override agree. */
class TrainingDataTest {
  @Test
  void selectedFeaturesAreGatheredInOrder() {
    ArrayData data = Mnist.train(50);
    TrainingData viaDefault = new TrainingData() {
      @Override
      public int size() {
        return data.size();
      }

      @Override
      public int featureSize() {
        return data.featureSize();
      }

      @Override
      public int numClasses() {
        return data.numClasses();
      }

      @Override
      public void fill(int[] indices, float[] features, float[] oneHot) {
        data.fill(indices, features, oneHot);
      }
    };
    int[] idx = {7, 3, 41};
    int[] selected = {0, 100, 350, 351, 783};
    float[] a = new float[idx.length * selected.length];
    float[] b = new float[a.length];
    float[] ya = new float[idx.length * 10];
    float[] yb = new float[ya.length];
    viaDefault.fill(idx, selected, a, ya);
    data.fill(idx, selected, b, yb);
    assertThat(b).containsExactly(a);
    assertThat(yb).containsExactly(ya);
    float[] full = new float[idx.length * 784];
    data.fill(idx, full, new float[ya.length]);
    assertThat(a[1 * selected.length + 2]).isEqualTo(full[784 + 350]);
    assertThat(a[2 * selected.length + 4]).isEqualTo(full[2 * 784 + 783]);
  }
}
