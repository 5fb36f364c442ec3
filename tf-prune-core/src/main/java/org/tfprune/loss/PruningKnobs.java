package org.tfprune.loss;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

/**
 * The three settings a user turns.
 *
 * @param strength how much accuracy to trade for a smaller network: 0 = no pruning pressure (the
 *     network stays dense), 1 = the calibrated default (LeNet-300-100 on MNIST keeps about 10% of
 *     its MACs; other networks get a pressure scaled by their own cost structure, {@link
 *     PressureCalibration}), larger values prune harder. Documented range [0, 4].
 * @param flopsShare in [0, 1]: which complexity counts, multiply-accumulates (1) or parameters (0)
 * @param layerShare in [0, 1]: who carries the complexity pressure, block gates (1) or unit/filter
 *     gates (0); networks without block gates put all of it on unit gates
 * @param penalty what pushes the gates shut: the complexity-aware prior and cost (the product,
 *     the default) or a plain L1 penalty on theta (a baseline for comparison studies)
 */
public record PruningKnobs(double strength, double flopsShare, double layerShare,
    PenaltyKind penalty) {
  public static final int MAX_STRENGTH = 100;

  public PruningKnobs {
    checkNotNull(penalty, "penalty kind");
    checkArgument(Double.isFinite(strength) && strength >= 0 && strength <= MAX_STRENGTH,
        "strength must be in [0, %s], got %s (0 = no pruning pressure, 1 = default, "
            + "larger = smaller network)", MAX_STRENGTH, (Object) strength);
    checkArgument(flopsShare >= 0 && flopsShare <= 1,
        "flopsShare must be in [0, 1], got %s (1 = only MACs count, 0 = only parameters)",
        flopsShare);
    checkArgument(layerShare >= 0 && layerShare <= 1,
        "layerShare must be in [0, 1], got %s (1 = pressure on block gates only, 0 = on unit and "
            + "filter gates only)", layerShare);
  }

  /** The three knobs with the complexity-aware penalty. */
  public PruningKnobs(double strength, double flopsShare, double layerShare) {
    this(strength, flopsShare, layerShare, PenaltyKind.COMPLEXITY_AWARE);
  }

  /** strength 1, flopsShare 0.5, layerShare 0.5. */
  public static PruningKnobs defaults() {
    return new PruningKnobs(1.0, 0.5, 0.5);
  }

  public PruningKnobs withStrength(double s) {
    return new PruningKnobs(s, flopsShare, layerShare, penalty);
  }

  public PruningKnobs withFlopsShare(double f) {
    return new PruningKnobs(strength, f, layerShare, penalty);
  }

  public PruningKnobs withLayerShare(double l) {
    return new PruningKnobs(strength, flopsShare, l, penalty);
  }

  public PruningKnobs withPenalty(PenaltyKind p) {
    return new PruningKnobs(strength, flopsShare, layerShare, p);
  }
}
