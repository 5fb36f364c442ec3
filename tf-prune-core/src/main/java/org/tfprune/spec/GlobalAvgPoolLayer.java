package org.tfprune.spec;

import static com.google.common.base.Preconditions.checkArgument;

/** Averages each channel over all positions: {@code H x W x C -> C}. */
public record GlobalAvgPoolLayer(String name) implements LayerSpec {
  public GlobalAvgPoolLayer {
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
    return FeatureMap.flat(in.channels());
  }

  @Override
  public LayerSpec withWidth(int width) {
    throw new UnsupportedOperationException("pooling layer '" + name + "' has no width of its own");
  }

  @Override
  public LayerSpec withGated(boolean g) {
    checkArgument(!g, "pooling layer '%s' cannot carry gates", name);
    return this;
  }
}
