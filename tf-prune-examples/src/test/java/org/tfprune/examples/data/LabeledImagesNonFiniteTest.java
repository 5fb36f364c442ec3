package org.tfprune.examples.data;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * A data set holding NaN or an infinity is refused when it is made, naming the example and the
 * fix: the readers' byte pixels cannot hold one, but data built in Java can, and the trainer would
 * only see it later as a diverging objective.
 */
class LabeledImagesNonFiniteTest {
  private static float[] features(int at, float value) {
    float[] f = new float[3 * 4];
    f[at] = value;
    return f;
  }

  @Test
  void aNanFeatureIsRefusedNamingItsExampleAndFeature() {
    assertThatThrownBy(() -> LabeledImages.of("mine", new int[] {2, 2, 1}, features(6, Float.NaN),
        new int[] {0, 1, 2}, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("mine: value 6 of example 1 (feature 2 of 4) is NaN")
        .hasMessageContaining("Replace or drop the example");
  }

  @Test
  void anInfiniteFeatureIsRefused() {
    assertThatThrownBy(() -> LabeledImages.of("mine", new int[] {4}, features(11,
        Float.NEGATIVE_INFINITY), new int[] {0, 1, 2}, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("value 11 of example 2 (feature 3 of 4) is -Infinity");
  }
}
