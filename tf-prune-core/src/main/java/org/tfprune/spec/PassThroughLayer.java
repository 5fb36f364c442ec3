package org.tfprune.spec;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * A layer with no units or filters of its own (pooling, padding, flatten): it carries no gates and passes
 * its input channels through, so it is never pruned itself.
 */
public sealed interface PassThroughLayer extends LayerSpec
    permits PoolLayer, FlattenLayer, GlobalAvgPoolLayer, PadLayer {

  @Override
  default boolean gated() {
    return false;
  }

  @Override
  default int width() {
    return -1;
  }

  @Override
  default LayerSpec withWidth(int width) {
    throw new UnsupportedOperationException("layer '" + name() + "' has no width of its own");
  }

  @Override
  default LayerSpec withGated(boolean g) {
    checkArgument(!g, "layer '%s' cannot carry gates", name());
    return this;
  }
}
