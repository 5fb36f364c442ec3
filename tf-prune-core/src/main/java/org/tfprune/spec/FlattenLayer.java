package org.tfprune.spec;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * Flattens an {@code H x W x C} feature map into {@code H*W*C} features in NHWC order (feature
 * index {@code (h * W + w) * C + c}), so a dead channel removes {@code H*W} rows of the next dense
 * kernel.
 */
public record FlattenLayer(String name) implements LayerSpec {
  public FlattenLayer {
    LayerSpec.checkName(name);
  }

  @Override
  public boolean gated() {
    return false;
  }

  @Override
  public int width() {
    return -1;
  }

  @Override
  public FeatureMap outputShape(FeatureMap in) {
    return FeatureMap.flat(in.size());
  }

  @Override
  public LayerSpec withWidth(int width) {
    throw new UnsupportedOperationException("flatten layer '" + name + "' has no width of its own");
  }

  @Override
  public LayerSpec withGated(boolean g) {
    checkArgument(!g, "flatten layer '%s' cannot carry gates", name);
    return this;
  }
}
