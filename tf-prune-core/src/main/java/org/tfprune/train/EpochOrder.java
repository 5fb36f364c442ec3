package org.tfprune.train;

import java.util.SplittableRandom;

/**
 * The order an epoch visits the training examples in: a permutation drawn from the run's seed and
 * the epoch's number alone, so a run resumed from a checkpoint visits them as the first run did.
 */
final class EpochOrder {
  private EpochOrder() {}

  /** The order of {@code n} examples in {@code epoch} of a run with {@code seed}. */
  static int[] of(int n, long seed, int epoch) {
    SplittableRandom rng = new SplittableRandom(seed * 7919 + 17 + 1_000_003L * epoch);
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
