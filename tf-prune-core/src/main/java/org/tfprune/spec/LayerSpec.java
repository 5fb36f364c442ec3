package org.tfprune.spec;

/**
 * One layer of an {@link ArchitectureSpec}. Layer specs are immutable data; the graph builder
 * turns them into ops and the slicer and complexity counter read their shapes.
 */
public sealed interface LayerSpec permits DenseLayer {

  /** Unique name inside the spec; it prefixes the layer's variables (e.g. {@code dense0/kernel}). */
  String name();

  /** Whether the layer's output units carry stochastic gates. */
  boolean gated();

  /** Number of output units (or channels). */
  int width();

  /** A copy of this layer with {@code width} outputs (used when dead units are removed). */
  LayerSpec withWidth(int width);

  /** A copy of this layer with gates switched on or off. */
  LayerSpec withGated(boolean gated);
}
