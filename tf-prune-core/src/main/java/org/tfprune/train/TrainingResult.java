package org.tfprune.train;

import com.google.common.collect.ImmutableList;
import org.tfprune.complexity.Complexity;
import org.tfprune.complexity.ComplexityCounter;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.KeepMask;

/**
 * The outcome of a training run.
 *
 * @param spec the spec that was trained (with its gates)
 * @param parameters final weights and effective gate probabilities ({@code theta * mask})
 * @param keep the deterministic network's keep-mask ({@code theta >= 0.5})
 * @param history one entry per epoch
 * @param binaryFraction fraction of theta within 0.01 of 0 or 1 at the end of the pruning phase,
 *     before any rounding for fine-tuning (1.0 for an ungated run)
 * @param trainSeconds wall time of all training steps
 */
public record TrainingResult(ArchitectureSpec spec, ParameterSet parameters, KeepMask keep,
    ImmutableList<EpochStats> history, double binaryFraction, double trainSeconds) {

  /** Test accuracy of the deterministic network after the last epoch. */
  public double testAccuracy() {
    return history.get(history.size() - 1).testAccuracy();
  }

  /** The compact spec: the trained spec without the structures {@link #keep} removes. */
  public ArchitectureSpec compactSpec() {
    return spec.hasGates() ? spec.compact(keep) : spec;
  }

  public Complexity denseComplexity() {
    return ComplexityCounter.count(spec);
  }

  public Complexity compactComplexity() {
    return ComplexityCounter.count(compactSpec());
  }

  /**
   * The first epoch after which at least 90% of the final MACs reduction had been reached, or 0
   * if nothing was pruned.
   */
  public int epochOf90PercentPruning() {
    double finalFraction = history.get(history.size() - 1).macsFraction();
    double removed = 1 - finalFraction;
    if (removed <= 0) {
      return 0;
    }
    for (EpochStats e : history) {
      if (1 - e.macsFraction() >= 0.9 * removed) {
        return e.epoch();
      }
    }
    return history.get(history.size() - 1).epoch();
  }
}
