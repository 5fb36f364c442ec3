package org.tfprune.examples.experiments;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import java.util.List;

/**
 * What one {@code --size} runs: budgets, seeds, grids and the bounds the claims are held to.
 * {@link #quick()} checks the claims loosely within CI time (data slices, few epochs, two seeds,
 * small widths); {@link #full()} is the real measurement.
 *
 * @param mlp budget of every LeNet-300-100 run
 * @param conv budget of every LeNet-5 run
 * @param seeds seeds of the robustness and early-pruning runs
 * @param widths LeNet-300-100 width multipliers of the robustness suite (1 = 300-100)
 * @param robustnessDatasets data sets of the robustness suite
 * @param mlpStrengths the strength sweep on LeNet-300-100
 * @param convStrengths the strength sweep on LeNet-5
 * @param convStrength LeNet-5's strength in the knobs suite
 * @param convThetaLearningRate theta's Adam step on LeNet-5 (conv nets take Adam steps on theta)
 * @param baselineSeeds seeds of the baselines suite
 * @param slimmingProbes training runs spent searching the L1 penalty that matches the MACs
 */
public record ExperimentPlan(String size, TrainingBudget mlp, TrainingBudget conv,
    ImmutableList<Long> seeds, ImmutableList<Double> widths,
    ImmutableList<String> robustnessDatasets, ImmutableList<Double> mlpStrengths,
    ImmutableList<Double> convStrengths, double convStrength, double convThetaLearningRate,
    ImmutableList<Long> baselineSeeds, int slimmingProbes, EstimatorBudget estimator,
    ClaimThresholds thresholds) {

  public ExperimentPlan {
    checkNotNull(size, "size");
    checkArgument(!seeds.isEmpty() && !widths.isEmpty() && !robustnessDatasets.isEmpty()
        && !mlpStrengths.isEmpty() && !convStrengths.isEmpty() && !baselineSeeds.isEmpty(),
        "every grid of the %s plan needs at least one entry", size);
    checkArgument(convThetaLearningRate > 0, "theta's step must be positive, got %s",
        convThetaLearningRate);
    checkArgument(slimmingProbes >= 1, "the L1 search needs at least one probe, got %s",
        slimmingProbes);
    for (double w : widths) {
      checkArgument(w > 0, "width multipliers must be positive, got %s", w);
    }
  }

  /** The sizes {@link #named} knows. */
  public static final List<String> SIZES = List.of("quick", "full");

  /** The plan of a {@code --size}. */
  public static ExperimentPlan named(String size) {
    return switch (size) {
      case "quick" -> quick();
      case "full" -> full();
      default -> throw new IllegalArgumentException("unknown size '" + size + "': use "
          + String.join(" or ", SIZES));
    };
  }

  /**
   * A few minutes in all: LeNet-300-100 on 10000 training and 2000 test images for 8 epochs,
   * LeNet-5 on 4000 / 1000 for 8 epochs with theta steps of 0.05 (so that a few hundred steps can
   * close gates), 2 seeds, widths 75-25 and 150-50, loose bounds. On so little data the prior
   * weighs 6x (LeNet-5: 15x) more per example than on all of MNIST, so the numbers differ from
   * the full size's; the directions are what is checked.
   */
  public static ExperimentPlan quick() {
    return new ExperimentPlan("quick", new TrainingBudget(10_000, 2000, 8, 2),
        new TrainingBudget(4000, 1000, 8, 2), ImmutableList.of(1L, 2L),
        ImmutableList.of(0.25, 0.5), ImmutableList.of("mnist", "fashion-mnist"),
        ImmutableList.of(0.25, 1.0, 4.0), ImmutableList.of(1.0, 4.0), 4.0, 0.05,
        ImmutableList.of(1L), 3, new EstimatorBudget(2, 400, 16),
        new ClaimThresholds(0.95, 0.5, 5, 0.6, 3));
  }

  /**
   * The measurement: all of MNIST / Fashion-MNIST, LeNet-300-100 for 30 epochs (half the
   * product's 60, to fit the machine; the last 7 fine-tuning), LeNet-5 for 30 epochs (last 7
   * fine-tuning: with 10, theta ended 97.4-99.7% binary), 5 seeds, widths 300-100, 600-200 and
   * 1200-400, the full bounds.
   */
  public static ExperimentPlan full() {
    return new ExperimentPlan("full", new TrainingBudget(0, 0, 30, 7),
        new TrainingBudget(0, 0, 30, 7), ImmutableList.of(1L, 2L, 3L, 4L, 5L),
        ImmutableList.of(1.0, 2.0, 4.0), ImmutableList.of("mnist", "fashion-mnist"),
        ImmutableList.of(0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0),
        ImmutableList.of(0.25, 0.5, 1.0, 2.0, 4.0), 1.0, 0.01, ImmutableList.of(1L, 2L, 3L), 6,
        new EstimatorBudget(10, 4000, 32), ClaimThresholds.full());
  }

  /** This plan with LeNet-300-100 trained for {@code epochs} (the last quarter fine-tuning). */
  public ExperimentPlan withMlpEpochs(int epochs) {
    return new ExperimentPlan(size, mlp.withEpochs(epochs), conv, seeds, widths,
        robustnessDatasets, mlpStrengths, convStrengths, convStrength, convThetaLearningRate,
        baselineSeeds, slimmingProbes, estimator, thresholds);
  }

  /** This plan with LeNet-5 trained for {@code epochs} (the last quarter fine-tuning). */
  public ExperimentPlan withConvEpochs(int epochs) {
    return new ExperimentPlan(size, mlp, conv.withEpochs(epochs), seeds, widths,
        robustnessDatasets, mlpStrengths, convStrengths, convStrength, convThetaLearningRate,
        baselineSeeds, slimmingProbes, estimator, thresholds);
  }

  /** This plan with LeNet-5 trained on the first {@code n} training images (0 = all). */
  public ExperimentPlan withConvTrainLimit(int n) {
    TrainingBudget c = new TrainingBudget(n, conv.testLimit(), conv.epochs(),
        conv.finetuneEpochs());
    return new ExperimentPlan(size, mlp, c, seeds, widths, robustnessDatasets, mlpStrengths,
        convStrengths, convStrength, convThetaLearningRate, baselineSeeds, slimmingProbes,
        estimator, thresholds);
  }

  /** This plan with seeds 1..n for robustness and early pruning. */
  public ExperimentPlan withSeeds(int n) {
    return new ExperimentPlan(size, mlp, conv, firstSeeds(n), widths, robustnessDatasets,
        mlpStrengths, convStrengths, convStrength, convThetaLearningRate, baselineSeeds,
        slimmingProbes, estimator, thresholds);
  }

  /** This plan with seeds 1..n for the baselines. */
  public ExperimentPlan withBaselineSeeds(int n) {
    return new ExperimentPlan(size, mlp, conv, seeds, widths, robustnessDatasets, mlpStrengths,
        convStrengths, convStrength, convThetaLearningRate, firstSeeds(n), slimmingProbes,
        estimator, thresholds);
  }

  /** This plan with other robustness width multipliers and data sets. */
  public ExperimentPlan withRobustness(List<Double> w, List<String> datasets) {
    return new ExperimentPlan(size, mlp, conv, seeds, ImmutableList.copyOf(w),
        ImmutableList.copyOf(datasets), mlpStrengths, convStrengths, convStrength,
        convThetaLearningRate, baselineSeeds, slimmingProbes, estimator, thresholds);
  }

  private static ImmutableList<Long> firstSeeds(int n) {
    checkArgument(n > 0, "at least one seed, got %s", n);
    ImmutableList.Builder<Long> s = ImmutableList.builder();
    for (long i = 1; i <= n; i++) {
      s.add(i);
    }
    return s.build();
  }
}
