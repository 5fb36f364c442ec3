package org.tfprune.data;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

/**
 * The factor the readers multiply every stored value by, written as a fraction so that {@code
 * 1/255} gives the same floats as dividing the bytes by 255 ({@code b / 255f}).
 *
 * <p>{@link #AUTO} picks by the stored element type: {@code 1/255} for bytes (raw uint8 arrays,
 * PNG and JPEG images), 1 for floats.
 */
public record InputScale(double numerator, double denominator, boolean auto) {
  /** {@code 1/255} for byte data, 1 for float data. */
  public static final InputScale AUTO = new InputScale(1, 1, true);

  /** Values as stored. */
  public static final InputScale NONE = new InputScale(1, 1, false);

  /** Checks that the fraction is finite and its denominator positive. */
  public InputScale {
    checkArgument(Double.isFinite(numerator) && Double.isFinite(denominator) && denominator > 0,
        "input scale %s/%s must be a finite number with a positive denominator", numerator,
        denominator);
  }

  /**
   * Parses {@code auto}, a number ({@code 0.5}) or a fraction ({@code 1/255}).
   *
   * @throws IllegalArgumentException naming the text and the accepted forms
   */
  public static InputScale parse(String text) {
    checkNotNull(text, "text");
    String t = text.trim();
    if (t.equalsIgnoreCase("auto")) {
      return AUTO;
    }
    try {
      int slash = t.indexOf('/');
      if (slash < 0) {
        return new InputScale(Double.parseDouble(t), 1, false);
      }
      return new InputScale(Double.parseDouble(t.substring(0, slash).trim()),
          Double.parseDouble(t.substring(slash + 1).trim()), false);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("input scale '" + text + "' is not a number: write it as "
          + "auto, a number (0.5) or a fraction (1/255)", e);
    }
  }

  /** A plain factor. */
  public static InputScale of(double factor) {
    return new InputScale(factor, 1, false);
  }

  /** The scale that applies to data stored as bytes ({@code 1/255} when automatic). */
  public InputScale forBytes() {
    return auto ? new InputScale(1, 255, false) : this;
  }

  /** The scale that applies to data stored as floats (1 when automatic). */
  public InputScale forFloats() {
    return auto ? NONE : this;
  }

  /** {@code value * numerator / denominator}, computed in float in that order. */
  public float apply(float value) {
    return value * (float) numerator / (float) denominator;
  }

  @Override
  public String toString() {
    return auto ? "auto" : denominator == 1 ? Double.toString(numerator)
        : numerator + "/" + denominator;
  }
}
