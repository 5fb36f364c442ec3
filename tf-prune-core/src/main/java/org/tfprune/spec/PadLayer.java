package org.tfprune.spec;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * Zero padding of height and width (Keras's {@code ZeroPadding2D}, TensorFlow's {@code Pad}),
 * usually before a VALID convolution; channels pass through unchanged.
 */
public record PadLayer(String name, int top, int bottom, int left, int right)
    implements PassThroughLayer {
  public PadLayer {
    LayerSpec.checkName(name);
    checkArgument(top >= 0 && bottom >= 0 && left >= 0 && right >= 0, "padding '%s' needs "
        + "non-negative amounts, got %s %s %s %s", name, top, bottom, left, right);
  }

  @Override
  public FeatureMap outputShape(FeatureMap in) {
    checkArgument(!in.isFlat(), "padding '%s' needs a feature map, gets a flat vector of %s",
        name, in.channels());
    return new FeatureMap(in.height() + top + bottom, in.width() + left + right, in.channels());
  }
}
