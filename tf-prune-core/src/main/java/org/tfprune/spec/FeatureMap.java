package org.tfprune.spec;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * The shape of one example's activations between layers: {@code height x width x channels}
 * (NHWC without the batch); a flat feature vector of {@code n} values is {@code 1 x 1 x n}.
 */
public record FeatureMap(int height, int width, int channels) {
  public FeatureMap {
    checkArgument(height > 0 && width > 0 && channels > 0,
        "feature map dimensions must be positive, got %sx%sx%s", height, width, channels);
  }

  public static FeatureMap flat(int features) {
    return new FeatureMap(1, 1, features);
  }

  /** Whether this is a flat feature vector. */
  public boolean isFlat() {
    return height == 1 && width == 1;
  }

  /** Values per example. */
  public int size() {
    return height * width * channels;
  }

  /** Spatial positions ({@code height * width}). */
  public int positions() {
    return height * width;
  }

  public FeatureMap withChannels(int c) {
    return new FeatureMap(height, width, c);
  }

  @Override
  public String toString() {
    return isFlat() ? Integer.toString(channels) : height + "x" + width + "x" + channels;
  }
}
