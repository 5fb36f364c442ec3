package org.tfprune.spec;

/**
 * One layer of an {@link ArchitectureSpec}. Layer specs are immutable data; the graph builder
 * turns them into ops and the slicer and complexity counter read their shapes.
 */
public sealed interface LayerSpec
    permits DenseLayer, Conv2DLayer, ResidualBlock, PassThroughLayer, FixedLayer {

  /** Unique name inside the spec; it prefixes the layer's variables (e.g. {@code dense0/kernel}). */
  String name();

  /** Whether the layer's output units or filters carry stochastic gates. */
  boolean gated();

  /** The shape this layer produces from {@code input}; fails clearly when it does not fit. */
  FeatureMap outputShape(FeatureMap input);

  /** Number of output units or channels, for layers that own them; -1 for pass-through layers. */
  int width();

  /** A copy of this layer with {@code width} outputs (used when dead units are removed). */
  LayerSpec withWidth(int width);

  /** A copy of this layer with gates switched on or off. */
  LayerSpec withGated(boolean gated);

  /** Layer names must be usable as TensorFlow scope names and variable prefixes. */
  static void checkName(String name) {
    if (name == null || !name.matches("[A-Za-z][A-Za-z0-9_]*")) {
      throw new IllegalArgumentException("layer name '" + name + "' must start with a letter and "
          + "hold only letters, digits and '_'");
    }
  }
}
