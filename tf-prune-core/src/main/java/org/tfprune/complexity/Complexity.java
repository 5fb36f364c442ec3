package org.tfprune.complexity;

import static com.google.common.base.Preconditions.checkArgument;

/** Exact multiply-accumulate and parameter counts of a network (per example, per forward pass). */
public record Complexity(long macs, long params) {
  public Complexity {
    checkArgument(macs >= 0 && params >= 0, "counts must be non-negative: %s MACs, %s params",
        macs, params);
  }

  /** MACs of this network as a fraction of {@code reference}'s. */
  public double macsRatio(Complexity reference) {
    return (double) macs / reference.macs;
  }

  /** Parameters of this network as a fraction of {@code reference}'s. */
  public double paramsRatio(Complexity reference) {
    return (double) params / reference.params;
  }
}
