package org.tfprune.train;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * Steers the strength during the pruning phase so the network's expected complexity follows a
 * path from the dense network down to the {@link Budget} and then holds there: dual ascent on
 * the budget constraint's Lagrange multiplier, taken in the logarithm of the strength (the
 * response of a network to its strength spans decades, so the controller moves it by factors).
 *
 * <p>Pruning cannot be undone, so the reference path falls gradually (cubic, as in gradual
 * magnitude pruning) over the first {@link #RAMP} of the phase and the controller follows it from
 * above instead of diving at the target; the rest of the phase lets it settle. The ascent rate
 * is per unit of the phase's progress, so short and long runs move the strength alike. The gain,
 * the error's clip, the start and the update interval were chosen on toy plants
 * (BudgetControllerTest) whose thresholds span from a tenth of a decade (a cliff, below, at or
 * above the start) to four decades: there every run lands within 10% of the target.
 */
public final class BudgetController {
  /** The fraction of the pruning phase over which the reference falls to the target. */
  public static final double RAMP = 0.6;
  /** Log strength per unit of relative error per unit of the pruning phase's progress. */
  public static final double ASCENT_RATE = 8;
  /** The relative error is clipped to [-{@value}, {@value}] (one far-off reading moves little). */
  public static final double ERROR_CLIP = 2;
  /**
   * A new run's pressure starts at this fraction of the given strength and rises while the
   * network is above its path. Started at the full strength, a network whose response has a
   * cliff below it (LeNet-5's first-layer filters, each feeding every filter of the next layer,
   * all close within a hundred steps at any strength from a quarter up) falls past its target
   * before the controller can react, and a frozen structure never comes back; from below, the
   * controller meets the cliff while it climbs and holds it.
   */
  public static final double START_FRACTION = 1.0 / 16;
  /**
   * Training steps between two updates (the trainer reads theta this often during the pruning
   * phase, apart from the pruning checks): gates move by up to 0.01 per step, so a reading every
   * hundred steps comes too late for a steep response.
   */
  public static final int UPDATE_EVERY = 20;
  /** Strength bounds. */
  public static final double MIN_STRENGTH = 1e-3;
  public static final double MAX_STRENGTH = 100;

  private final Budget budget;
  private final double initialStrength;
  private double logMultiplier;
  private double lastProgress;
  private double strength;

  /**
   * A controller starting at {@code strength} times {@code exp(logMultiplier)} (a saved state;
   * 0 for a new run), last updated at {@code lastProgress} of the pruning phase.
   */
  public BudgetController(Budget budget, double strength, double logMultiplier,
      double lastProgress) {
    checkArgument(budget.isSet(), "a budget controller needs a target");
    checkArgument(strength > 0, "the initial strength must be positive, got %s", strength);
    this.budget = budget;
    this.initialStrength = strength;
    this.logMultiplier = logMultiplier;
    this.lastProgress = lastProgress;
    this.strength = clamp(strength * Math.exp(logMultiplier));
  }

  /**
   * A controller for a new run with the given {@code strength}: it starts at
   * {@link #START_FRACTION} of it.
   */
  public BudgetController(Budget budget, double strength) {
    this(budget, strength, Math.log(START_FRACTION), 0);
  }

  /** The reference fraction at {@code progress} in [0, 1] of the pruning phase for target t. */
  static double reference(double target, double progress) {
    double left = Math.max(0, 1 - progress / RAMP);
    return target + (1 - target) * left * left * left;
  }

  /** The binding relative error: how far above (positive) its path the complexity is. */
  double error(double progress, double macsFraction, double paramsFraction) {
    double e = Double.NEGATIVE_INFINITY;
    if (!Double.isNaN(budget.macs())) {
      e = Math.max(e, (macsFraction - reference(budget.macs(), progress)) / budget.macs());
    }
    if (!Double.isNaN(budget.params())) {
      e = Math.max(e, (paramsFraction - reference(budget.params(), progress)) / budget.params());
    }
    return Math.max(-ERROR_CLIP, Math.min(ERROR_CLIP, e));
  }

  /**
   * Updates the strength from the expected complexity fractions at {@code progress} of the
   * pruning phase, and returns it.
   */
  public double update(double progress, double macsFraction, double paramsFraction) {
    double e = error(progress, macsFraction, paramsFraction);
    double dt = Math.max(0, progress - lastProgress);
    lastProgress = Math.max(lastProgress, progress);
    logMultiplier += ASCENT_RATE * e * dt;
    // anti-windup: the multiplier never takes the strength past its bounds
    logMultiplier = Math.max(Math.log(MIN_STRENGTH / initialStrength),
        Math.min(Math.log(MAX_STRENGTH / initialStrength), logMultiplier));
    // held at float precision, as a checkpoint stores them: a resumed run continues exactly
    logMultiplier = (float) logMultiplier;
    lastProgress = (float) lastProgress;
    strength = clamp(initialStrength * Math.exp(logMultiplier));
    return strength;
  }

  private static double clamp(double s) {
    return Math.max(MIN_STRENGTH, Math.min(MAX_STRENGTH, s));
  }

  public double strength() {
    return strength;
  }

  /** The log of the multiplier on the initial strength (saved with the training state). */
  public double logMultiplier() {
    return logMultiplier;
  }

  /** The progress of the last update (saved with the training state). */
  public double lastProgress() {
    return lastProgress;
  }
}
