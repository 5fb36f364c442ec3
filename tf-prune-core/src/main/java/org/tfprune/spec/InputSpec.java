package org.tfprune.spec;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.common.primitives.Ints;
import java.util.List;

/**
 * The network input: the shape of one example (without the batch dimension), whether each input
 * feature carries a gate, and, in a compact spec, which features the network still reads. The
 * exported model keeps the full input shape, so callers feed the same data; dropped features are
 * skipped with a gather, not multiplied by zero.
 */
public record InputSpec(ImmutableList<Integer> shape, boolean gated,
    ImmutableList<Integer> selectedFeatures) {

  public static final String GATE_GROUP = "input";

  public InputSpec {
    checkArgument(!shape.isEmpty(), "input shape must have at least one dimension");
    for (int d : shape) {
      checkArgument(d > 0, "input dimensions must be positive, got %s", shape);
    }
    int size = shape.stream().reduce(1, (a, b) -> a * b);
    int previous = -1;
    for (int f : selectedFeatures) {
      checkArgument(f > previous && f < size,
          "selected input features must be increasing indices in [0, %s), got %s", size, f);
      previous = f;
    }
    checkArgument(!gated || shape.size() == 1,
        "input gates need a flat feature vector; got input shape %s", shape);
    checkArgument(shape.size() == 1 || shape.size() == 3,
        "input shape must be [features] or [height, width, channels], got %s", shape);
  }

  /** The feature map the first layer sees (after any feature selection). */
  public FeatureMap featureMap() {
    return shape.size() == 1 ? FeatureMap.flat(width())
        : new FeatureMap(shape.get(0), shape.get(1), shape.get(2));
  }

  /** All features of a flat input of {@code features} values, optionally gated. */
  public static InputSpec flat(int features, boolean gated) {
    return new InputSpec(ImmutableList.of(features), gated, ImmutableList.of());
  }

  /** An input of the given per-example shape, all features read, no gates. */
  public static InputSpec of(int... shape) {
    return new InputSpec(ImmutableList.copyOf(Ints.asList(shape)), false, ImmutableList.of());
  }

  /** Number of values in one example as fed. */
  public int size() {
    return shape.stream().reduce(1, (a, b) -> a * b);
  }

  /** Number of features the network reads (after selection). */
  public int width() {
    return selectedFeatures.isEmpty() ? size() : selectedFeatures.size();
  }

  /** Whether the network reads only a subset of the features. */
  public boolean selects() {
    return !selectedFeatures.isEmpty();
  }

  /** The indices of the features read, in order. */
  public int[] readFeatures() {
    if (!selects()) {
      int[] all = new int[size()];
      for (int i = 0; i < all.length; i++) {
        all[i] = i;
      }
      return all;
    }
    return Ints.toArray(selectedFeatures);
  }

  InputSpec select(List<Integer> features) {
    return new InputSpec(shape, gated, ImmutableList.copyOf(features));
  }

  /** This input with its feature gates switched on or off. */
  public InputSpec withGated(boolean g) {
    return new InputSpec(shape, g, selectedFeatures);
  }
}
