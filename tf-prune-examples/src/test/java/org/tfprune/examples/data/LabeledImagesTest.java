package org.tfprune.examples.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.FloatBuffer;
import java.nio.ReadOnlyBufferException;
import org.junit.jupiter.api.Test;

class LabeledImagesTest {
  /** Four examples of shape {1, 2}: example i has features {i, i + 0.5}. */
  private static LabeledImages four() {
    return LabeledImages.of(
        "four",
        new int[] {1, 2},
        new float[] {0f, 0.5f, 1f, 1.5f, 2f, 2.5f, 3f, 3.5f},
        new int[] {2, 0, 1, 2},
        3);
  }

  @Test
  void describesItself() {
    LabeledImages data = four();

    assertThat(data.name()).isEqualTo("four");
    assertThat(data.count()).isEqualTo(4);
    assertThat(data.featureShape()).containsExactly(1, 2);
    assertThat(data.featureSize()).isEqualTo(2);
    assertThat(data.numClasses()).isEqualTo(3);
    assertThat(data.classCounts()).containsExactly(1, 1, 2);
    assertThat(data).hasToString("LabeledImages[four: 4 x [1, 2], 3 classes]");
  }

  @Test
  void gathersRowsInTheOrderGiven() {
    LabeledImages data = four();

    assertThat(data.features(new int[] {3, 0, 3})).containsExactly(3f, 3.5f, 0f, 0.5f, 3f, 3.5f);
    assertThat(data.labels(new int[] {3, 0, 3})).containsExactly(2, 2, 2);
    assertThat(data.labels(new int[] {1, 2})).containsExactly(0, 1);
    assertThat(data.features(new int[0])).isEmpty();
  }

  @Test
  void trainingDataFeedsAllOrSelectedFeatures() {
    ImagesTrainingData data = new ImagesTrainingData(four());
    float[] x = new float[4];
    float[] y = new float[6];
    data.fill(new int[] {2, 1}, x, y);
    assertThat(x).containsExactly(2f, 2.5f, 1f, 1.5f);
    assertThat(y).containsExactly(0f, 1f, 0f, 1f, 0f, 0f);
    float[] xs = new float[2];
    data.fill(new int[] {3, 0}, new int[] {1}, xs, y);
    assertThat(xs).containsExactly(3.5f, 0.5f);
    assertThat(y).containsExactly(0f, 0f, 1f, 0f, 0f, 1f);
  }

  @Test
  void oneHotEncodesLabels() {
    assertThat(four().oneHot(new int[] {0, 1, 2}))
        .containsExactly(
            0f, 0f, 1f, //
            1f, 0f, 0f, //
            0f, 1f, 0f);
  }

  @Test
  void sliceAndHeadCopyARange() {
    LabeledImages data = four();

    LabeledImages middle = data.slice(1, 3);
    assertThat(middle.count()).isEqualTo(2);
    assertThat(middle.labels()).containsExactly(0, 1);
    assertThat(middle.features(new int[] {0, 1})).containsExactly(1f, 1.5f, 2f, 2.5f);
    assertThat(middle.numClasses()).isEqualTo(3);

    assertThat(data.head(2)).isEqualTo(data.slice(0, 2));
    assertThat(data.head(100)).isEqualTo(data);
    assertThat(data.slice(2, 2).count()).isZero();
  }

  @Test
  void isImmutable() {
    int[] shape = {1, 2};
    float[] features = {0f, 1f};
    int[] labels = {1};
    LabeledImages data = LabeledImages.of("one", shape, features, labels, 2);

    shape[0] = 9;
    features[0] = 9f;
    labels[0] = 0;
    data.featureShape()[0] = 9;
    data.labels()[0] = 0;

    assertThat(data.featureShape()).containsExactly(1, 2);
    assertThat(data.features(new int[] {0})).containsExactly(0f, 1f);
    assertThat(data.label(0)).isEqualTo(1);
    FloatBuffer view = data.featureBuffer();
    assertThat(view.isReadOnly()).isTrue();
    assertThatThrownBy(() -> view.put(0, 5f)).isInstanceOf(ReadOnlyBufferException.class);
  }

  @Test
  void rejectsInconsistentArrays() {
    assertThatThrownBy(
            () -> LabeledImages.of("bad", new int[] {2, 2}, new float[7], new int[] {0, 1}, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bad: 2 labels of featureShape [2, 2] need 8 feature values, got 7");
    assertThatThrownBy(() -> LabeledImages.of("bad", new int[] {1}, new float[2], new int[] {0, 3}, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("label 3 of example 1 is out of range [0, 3)");
    assertThatThrownBy(() -> LabeledImages.of("bad", new int[] {0}, new float[0], new int[0], 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("non-positive dimension");
  }

  @Test
  void rejectsBadIndices() {
    LabeledImages data = four();

    assertThatThrownBy(() -> data.features(new int[] {0, 4}))
        .isInstanceOf(IndexOutOfBoundsException.class)
        .hasMessageContaining("example index (4) must be less than size (4)");
    assertThatThrownBy(() -> data.oneHot(new int[] {-1}))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> data.slice(3, 2)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> data.head(-1)).isInstanceOf(IllegalArgumentException.class);
  }
}
