package org.tfprune.spec;

/**
 * Flattens an {@code H x W x C} feature map into {@code H*W*C} features in NHWC order (feature
 * index {@code (h * W + w) * C + c}), so a dead channel removes {@code H*W} rows of the next dense
 * kernel.
 */
public record FlattenLayer(String name) implements PassThroughLayer {
  public FlattenLayer {
    LayerSpec.checkName(name);
  }

  @Override
  public FeatureMap outputShape(FeatureMap in) {
    return FeatureMap.flat(in.size());
  }
}
