package org.tfprune.loss;

/**
 * What {@link ComplexityAwareLoss} adds to the data loss to push gates shut. The product uses
 * {@link #COMPLEXITY_AWARE}; {@link #L1} exists so the method can be compared with a
 * network-slimming-style baseline on the same gates, data and trainer.
 */
public enum PenaltyKind {
  /** The scale-mixture prior plus the expected MACs and parameters (DESIGN.md section 3). */
  COMPLEXITY_AWARE,
  /**
   * A plain L1 penalty on the keep probabilities, {@code strength * c * mean_s theta_s} over all
   * gates, with no prior and no complexity cost (Liu et al. 2017, network slimming, put on gates):
   * every gate is priced alike, whatever it costs.
   */
  L1
}
