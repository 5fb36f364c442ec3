package org.tfprune.examples.experiments;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * The bounds the claims are held to. {@link #full()} holds the bounds of the full size; the quick size
 * uses looser ones, since a few epochs on a data slice only show the direction.
 *
 * @param binary least fraction of theta within 0.01 of 0 or 1 at the end of every run
 * @param macsCv largest coefficient of variation of final MACs across seeds and widths
 * @param accuracySpreadPoints largest accuracy spread (max - min, percentage points) across seeds
 *     and widths
 * @param earlyFraction 90% of the final pruning must be reached within this fraction of epochs
 * @param baselineMarginPoints the method's accuracy must be at least each baseline's minus this
 */
public record ClaimThresholds(double binary, double macsCv, double accuracySpreadPoints,
    double earlyFraction, double baselineMarginPoints) {
  public ClaimThresholds {
    checkArgument(binary > 0 && binary <= 1, "binary fraction bound must be in (0, 1]");
    checkArgument(macsCv > 0 && accuracySpreadPoints > 0 && earlyFraction > 0
        && baselineMarginPoints >= 0, "claim bounds must be positive");
  }

  /** The bounds the full size holds its claims to. */
  public static ClaimThresholds full() {
    return new ClaimThresholds(0.99, 0.15, 0.5, 0.3, 0);
  }
}
