package org.tfprune.spec;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

/**
 * A fully connected layer {@code y = activation(x W + b)}; when {@link #gated()} each output unit is
 * multiplied by its own gate after the activation, so a closed gate removes the unit exactly.
 */
public record DenseLayer(String name, int units, Activation activation, boolean gated)
    implements LayerSpec {

  public DenseLayer {
    LayerSpec.checkName(name);
    checkArgument(units > 0, "layer '%s' needs at least one unit, got %s", name, units);
    checkNotNull(activation, "activation of layer %s", name);
  }

  /** A gated ReLU layer, the usual hidden layer of a prunable MLP. */
  public static DenseLayer gatedRelu(String name, int units) {
    return new DenseLayer(name, units, Activation.RELU, true);
  }

  /** An ungated linear layer, the usual logits layer. */
  public static DenseLayer logits(String name, int classes) {
    return new DenseLayer(name, classes, Activation.IDENTITY, false);
  }

  @Override
  public int width() {
    return units;
  }

  @Override
  public FeatureMap outputShape(FeatureMap input) {
    checkArgument(input.isFlat(), "dense layer '%s' needs a flat input but gets %s: put a "
        + "flatten or global-average-pooling layer before it", name, input);
    return FeatureMap.flat(units);
  }

  @Override
  public DenseLayer withWidth(int width) {
    return new DenseLayer(name, width, activation, gated);
  }

  @Override
  public DenseLayer withGated(boolean g) {
    return new DenseLayer(name, units, activation, g);
  }
}
