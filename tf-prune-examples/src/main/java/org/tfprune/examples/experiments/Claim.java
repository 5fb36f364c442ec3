package org.tfprune.examples.experiments;

import static com.google.common.base.Preconditions.checkNotNull;

/**
 * One checked claim: what is claimed, what was measured, the bound it was held to, and whether
 * it holds.
 *
 * @param statement the claim with its bound, e.g. "CV of final MACs <= 15%"
 * @param measured the measured value, formatted
 * @param holds whether the measurement meets the bound
 */
public record Claim(String suite, String statement, String measured, boolean holds) {
  public Claim {
    checkNotNull(suite, "suite");
    checkNotNull(statement, "statement");
    checkNotNull(measured, "measured");
  }
}
