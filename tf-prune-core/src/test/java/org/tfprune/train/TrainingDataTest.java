package org.tfprune.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.tfprune.testing.ArrayData;
import org.tfprune.testing.Mnist;

/** Data from arrays, and feeding a subset of the input features. */
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

  @Test
  void arraysFeedTheirRowsWithOneHotLabels() {
    TrainingData d = TrainingData.of(new float[] {1, 2, 3, 4, 5, 6}, new int[] {2, 0, 1}, 3);
    float[] x = new float[4];
    float[] y = new float[6];
    d.fill(new int[] {2, 0}, x, y);
    assertThat(d.size()).isEqualTo(3);
    assertThat(d.featureSize()).isEqualTo(2);
    assertThat(x).containsExactly(5, 6, 1, 2);
    assertThat(y).containsExactly(0, 1, 0, 0, 0, 1);
  }

  @Test
  void arraysThatDoNotSplitIntoRowsAreRefusedWithTheFix() {
    assertThatThrownBy(() -> TrainingData.of(new float[5], new int[] {0, 1}, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("5 feature values do not split into 2 examples")
        .hasMessageContaining("pass one row of features per label");
    assertThatThrownBy(() -> TrainingData.of(new float[4], new int[] {0, 2}, 2))
        .hasMessageContaining("label 2 of example 1 is outside [0, 2)");
  }
}
