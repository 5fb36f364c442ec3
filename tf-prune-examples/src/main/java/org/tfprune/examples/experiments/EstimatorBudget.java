package org.tfprune.examples.experiments;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * How hard the estimator suite looks: how many random tiny networks, how many sampled gradient
 * estimates per network, and the batch each estimate is taken on.
 */
public record EstimatorBudget(int networks, int samples, int batch) {
  public EstimatorBudget {
    checkArgument(networks > 0 && samples > 1 && batch > 0,
        "estimator budget needs networks > 0, samples > 1, batch > 0; got %s, %s, %s", networks,
        samples, batch);
  }
}
