package org.tfprune.examples.experiments;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Collection;

/**
 * Summary statistics of a sample: size, mean, sample standard deviation (n - 1; 0 for one
 * value), minimum and maximum.
 */
public record SampleStats(int n, double mean, double std, double min, double max) {
  public SampleStats {
    checkArgument(n > 0, "a sample needs at least one value, got %s", n);
  }

  /** Statistics of {@code values}. */
  public static SampleStats of(Collection<? extends Number> values) {
    checkArgument(!values.isEmpty(), "no values to summarize");
    double sum = 0;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (Number v : values) {
      double d = v.doubleValue();
      checkArgument(Double.isFinite(d), "values must be finite, got %s", d);
      sum += d;
      min = Math.min(min, d);
      max = Math.max(max, d);
    }
    int n = values.size();
    double mean = sum / n;
    double sq = 0;
    for (Number v : values) {
      sq += (v.doubleValue() - mean) * (v.doubleValue() - mean);
    }
    return new SampleStats(n, mean, n > 1 ? Math.sqrt(sq / (n - 1)) : 0, min, max);
  }

  /** Coefficient of variation, {@code std / |mean|} (0 for a zero mean with no spread). */
  public double cv() {
    return mean == 0 ? (std == 0 ? 0 : Double.POSITIVE_INFINITY) : std / Math.abs(mean);
  }

  /** {@code max - min}. */
  public double spread() {
    return max - min;
  }
}
