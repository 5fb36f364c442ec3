package org.tfprune.testing;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * Bounds for trained outcomes, derived from the noise of what a test compares (never from one
 * machine's result): a run's rounding on another CPU moves it like another seed does, so a bound
 * must cover what different seeds give.
 */
public final class Noise {
  /** How many standard errors a bound allows: a false failure about once in 16,000 runs. */
  public static final double SIGMAS = 4;

  private Noise() {}

  /** Standard error of an accuracy {@code p} measured on {@code n} examples. */
  public static double standardError(double p, int n) {
    checkArgument(n > 0 && p >= 0 && p <= 1, "accuracy %s on %s examples", (Object) p,
        (Object) n);
    return Math.sqrt(p * (1 - p) / n);
  }

  /**
   * Four standard errors of the difference of two accuracies, each measured on {@code n}
   * examples: {@code 4 sqrt(2 p (1 - p) / n)} at the pooled accuracy {@code p = (a + b) / 2}.
   */
  public static double accuracyDifference(double a, double b, int n) {
    double p = (a + b) / 2;
    return SIGMAS * Math.sqrt(2) * standardError(p, n);
  }

  /**
   * Four standard deviations of the difference of two widths {@code a} and {@code b} kept out of
   * {@code size} structures, each structure kept independently with the pooled rate
   * {@code q = (a + b) / (2 size)}: {@code 4 sqrt(2 size q (1 - q))}, at least 1 (one structure
   * either way is never significant).
   */
  public static double widthDifference(int a, int b, int size) {
    checkArgument(size > 0 && a >= 0 && b >= 0 && a <= size && b <= size,
        "widths %s and %s of %s", a, b, size);
    double q = (a + b) / (2.0 * size);
    return Math.max(1, SIGMAS * Math.sqrt(2 * size * q * (1 - q)));
  }

  /**
   * The least accuracy a run expected to reach {@code expected} on {@code n} examples may show:
   * four standard errors below it.
   */
  public static double atLeast(double expected, int n) {
    return expected - SIGMAS * standardError(expected, n);
  }

  /**
   * The least accuracy that shows a run learned something on {@code test}: guessing the most
   * frequent class scores its frequency {@code p0}; four standard errors above it,
   * {@code p0 + 4 sqrt(p0 (1 - p0) / n)} (0.17 for p0 = 0.1 on 300 examples).
   */
  public static double aboveChance(ArrayData test) {
    int[] count = new int[test.numClasses()];
    for (int i = 0; i < test.size(); i++) {
      count[test.label(i)]++;
    }
    int most = 0;
    for (int c : count) {
      most = Math.max(most, c);
    }
    double p0 = (double) most / test.size();
    return p0 + SIGMAS * standardError(p0, test.size());
  }
}
