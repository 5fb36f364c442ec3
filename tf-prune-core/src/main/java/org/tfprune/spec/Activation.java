package org.tfprune.spec;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

/**
 * The element-wise nonlinearity applied after a layer's affine map: one of the constants, or a
 * {@link #leakyRelu leaky ReLU} with its slope.
 *
 * @param alpha the slope of a leaky ReLU for negative inputs (0 for every other kind)
 */
public record Activation(Kind kind, float alpha) {
  /** The function. */
  public enum Kind {
    RELU, RELU6, SIGMOID, TANH, LEAKY_RELU, IDENTITY
  }

  /** max(0, x). */
  public static final Activation RELU = new Activation(Kind.RELU, 0f);
  /** min(max(0, x), 6), as in MobileNet. */
  public static final Activation RELU6 = new Activation(Kind.RELU6, 0f);
  /** 1 / (1 + exp(-x)). */
  public static final Activation SIGMOID = new Activation(Kind.SIGMOID, 0f);
  /** tanh(x). */
  public static final Activation TANH = new Activation(Kind.TANH, 0f);
  /** No nonlinearity (used for the logits layer). */
  public static final Activation IDENTITY = new Activation(Kind.IDENTITY, 0f);

  public Activation {
    checkNotNull(kind, "activation kind");
    checkArgument(kind == Kind.LEAKY_RELU ? alpha >= 0 && alpha <= 1 : alpha == 0, "a %s "
        + "activation takes a slope alpha in [0, 1] for a leaky ReLU and 0 otherwise, got %s",
        kind, alpha);
  }

  /** max(x, alpha x), {@code alpha} in [0, 1]. */
  public static Activation leakyRelu(float alpha) {
    return new Activation(Kind.LEAKY_RELU, alpha);
  }

  @Override
  public String toString() {
    return kind == Kind.LEAKY_RELU ? "LEAKY_RELU(" + alpha + ")" : kind.name();
  }
}
