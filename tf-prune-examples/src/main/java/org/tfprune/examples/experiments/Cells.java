package org.tfprune.examples.experiments;

import java.util.Locale;

/** Formats numbers for table cells, always with a dot as the decimal separator. */
public final class Cells {
  private Cells() {}

  /** {@code value} with {@code digits} decimals. */
  public static String num(double value, int digits) {
    return String.format(Locale.ROOT, "%." + digits + "f", value);
  }

  /** A percentage given in percent, e.g. {@code 10.80%}. */
  public static String pct(double percent, int digits) {
    return num(percent, digits) + "%";
  }

  /** {@code mean ± std}. */
  public static String pm(SampleStats s, int digits) {
    return num(s.mean(), digits) + " ± " + num(s.std(), digits);
  }

  /** "yes" or "**no**". */
  public static String yesNo(boolean b) {
    return b ? "yes" : "**no**";
  }
}
