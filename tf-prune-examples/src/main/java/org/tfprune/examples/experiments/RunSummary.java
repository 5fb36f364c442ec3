package org.tfprune.examples.experiments;

import com.google.common.collect.ImmutableList;
import java.util.List;
import org.tfprune.complexity.Complexity;
import org.tfprune.train.EpochStats;
import org.tfprune.train.TrainingResult;

/**
 * One finished training run as the results report it.
 *
 * @param method complexity-aware, l1-theta, dense, scratch or l1-norm
 * @param startWidths the widths the run started from, e.g. 784-300-100-10
 * @param widths the final (compact) widths
 * @param macs MACs of the final network
 * @param macsPercent final MACs over the starting network's MACs, in percent
 * @param testAccuracy accuracy of the final (deterministic) network on the test set
 * @param binaryFraction fraction of theta within 0.01 of 0 or 1 at the end of the pruning phase
 *     (null for a run without gates)
 * @param binaryOk whether {@code binaryFraction} meets the plan's bound (null without gates)
 * @param epochOf90 the first epoch by which 90% of the final MACs reduction was reached (null
 *     without gates)
 * @param history per-epoch statistics
 */
public record RunSummary(String label, String method, String model, String dataset, long seed,
    double strength, double flopsShare, String startWidths, String widths, long macs,
    long params, double macsPercent, double paramsPercent, double testAccuracy,
    Double binaryFraction, Boolean binaryOk, Integer epochOf90, int epochs, double trainSeconds,
    ImmutableList<EpochStats> history) {

  /**
   * Summarizes {@code result}. MACs and parameters are compared with {@code reference}, the
   * network the run (or the run it derives from) started from.
   */
  public static RunSummary of(String label, String method, RunRecipe recipe,
      TrainingResult result, Complexity reference, String startWidths, double binaryBound) {
    Complexity c = result.compactComplexity();
    boolean gated = result.spec().hasGates();
    List<EpochStats> h = result.history();
    return new RunSummary(label, method, recipe.model(), recipe.dataset(), recipe.seed(),
        recipe.knobs().strength(), recipe.knobs().flopsShare(), startWidths,
        result.compactSpec().widthString(), c.macs(), c.params(),
        100.0 * c.macs() / reference.macs(), 100.0 * c.params() / reference.params(),
        result.testAccuracy(), gated ? result.binaryFraction() : null,
        gated ? result.binaryFraction() >= binaryBound : null,
        gated ? result.epochOf90PercentPruning() : null, h.size(), result.trainSeconds(),
        ImmutableList.copyOf(h));
  }

  /** Test accuracy in percent. */
  public double accuracyPercent() {
    return 100 * testAccuracy;
  }
}
