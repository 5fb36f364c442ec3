package org.tfprune.spec;

/** Averages each channel over all positions: {@code H x W x C -> C}. */
public record GlobalAvgPoolLayer(String name) implements PassThroughLayer {
  public GlobalAvgPoolLayer {
    LayerSpec.checkName(name);
  }

  @Override
  public FeatureMap outputShape(FeatureMap in) {
    return FeatureMap.flat(in.channels());
  }
}
