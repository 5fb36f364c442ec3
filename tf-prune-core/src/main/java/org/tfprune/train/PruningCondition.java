package org.tfprune.train;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * When a structure is pruned for good: its theta has been exactly 0 at {@code zeroChecks}
 * consecutive checks and the root-mean-square of its weights is at most {@code maxRmsOverSigma1}
 * times its prior's slab width sigma1 (a live unit starts at sigma1 / 2). Pruned structures are
 * frozen: their mask is set to 0, so their gate stays closed and theta receives no update.
 */
public record PruningCondition(int zeroChecks, double maxRmsOverSigma1) {
  public PruningCondition {
    checkArgument(zeroChecks >= 1, "zeroChecks must be >= 1, got %s", zeroChecks);
    checkArgument(maxRmsOverSigma1 > 0, "weight bound must be positive, got %s", maxRmsOverSigma1);
  }

  /** 3 consecutive checks, weights below sigma1 / 4. */
  public static PruningCondition defaults() {
    return new PruningCondition(3, 0.25);
  }
}
