package org.tfprune.spec;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

/** Max or average pooling over square windows; channels pass through unchanged. */
public record PoolLayer(String name, Kind kind, int size, int stride, Padding padding)
    implements PassThroughLayer {

  /** The pooling function. */
  public enum Kind { MAX, AVG }

  public PoolLayer {
    LayerSpec.checkName(name);
    checkNotNull(kind, "pool kind");
    checkNotNull(padding, "padding");
    checkArgument(size > 0 && stride > 0, "pool '%s' needs a positive size and stride", name);
  }

  /** 2x2 max pooling with stride 2. */
  public static PoolLayer max2(String name) {
    return new PoolLayer(name, Kind.MAX, 2, 2, Padding.VALID);
  }

  @Override
  public FeatureMap outputShape(FeatureMap in) {
    checkArgument(!in.isFlat() || in.channels() == 1, "pool '%s' needs a feature map, gets a "
        + "flat vector of %s", name, in.channels());
    return new FeatureMap(padding.outputSize(in.height(), size, stride),
        padding.outputSize(in.width(), size, stride), in.channels());
  }
}
