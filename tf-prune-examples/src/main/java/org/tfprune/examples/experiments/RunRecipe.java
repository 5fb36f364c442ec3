package org.tfprune.examples.experiments;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import java.util.Locale;
import org.tfprune.loss.PenaltyKind;
import org.tfprune.loss.PruningKnobs;

/**
 * Everything that determines one training run of a reference model: equal recipes give equal
 * runs (training is seeded), so suites share runs through the context's cache.
 *
 * @param widthMultiplier scales the model's prunable widths (LeNet-300-100: 2 = 600-200)
 * @param gated false trains the dense network without gates (knobs unused)
 */
public record RunRecipe(String model, String dataset, double widthMultiplier,
    PruningKnobs knobs, long seed, TrainingBudget budget, boolean gated) {
  /** LeNet-300-100. */
  public static final String MLP = "lenet-300-100";
  /** LeNet-5 (Caffe variant, 20-50-800-500). */
  public static final String CONV = "lenet-5";

  public RunRecipe {
    checkNotNull(model, "model");
    checkNotNull(dataset, "dataset");
    checkNotNull(knobs, "knobs");
    checkNotNull(budget, "budget");
    checkArgument(widthMultiplier > 0, "width multiplier must be positive, got %s",
        widthMultiplier);
  }

  /** A gated run of the method (or of the L1 baseline, by the knobs' penalty). */
  public static RunRecipe gated(String model, String dataset, double width, PruningKnobs knobs,
      long seed, TrainingBudget budget) {
    return new RunRecipe(model, dataset, width, knobs, seed, budget, true);
  }

  /** How the run pushes gates shut, for tables: complexity-aware, L1 on theta, or none. */
  public String method() {
    if (!gated) {
      return "dense";
    }
    return knobs.penalty() == PenaltyKind.L1 ? "l1-theta" : "complexity-aware";
  }

  /** A short human-readable name. */
  public String label() {
    String w = widthMultiplier == 1 ? ""
        : String.format(Locale.ROOT, " x%s", trim(widthMultiplier));
    String k = !gated ? String.format(Locale.ROOT, " dense %d epochs", budget.epochs())
        : String.format(Locale.ROOT, " %s%s fs %s",
        knobs.penalty() == PenaltyKind.L1 ? "l1 " : "s ", trim(knobs.strength()),
        trim(knobs.flopsShare()));
    return String.format(Locale.ROOT, "%s%s %s%s seed %d", model, w, dataset, k, seed);
  }

  private static String trim(double v) {
    return v == Math.rint(v) ? String.valueOf((long) v)
        : String.format(Locale.ROOT, "%.4g", v).replaceAll("0+$", "");
  }
}
