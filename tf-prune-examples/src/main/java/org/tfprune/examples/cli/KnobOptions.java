package org.tfprune.examples.cli;

import org.tfprune.loss.PruningKnobs;
import org.tfprune.train.Budget;
import picocli.CommandLine.Option;

/** The three pruning knobs, shared by the commands that train. */
final class KnobOptions {
  @Option(names = "--strength", defaultValue = "1.0",
      description = "Pruning strength >= 0: 0 keeps the network dense, 1 is the calibrated "
          + "default, larger prunes harder. Default: ${DEFAULT-VALUE}.")
  double strength;

  @Option(names = "--flops-share", defaultValue = "0.5",
      description = "In [0,1]: MACs (1) versus parameters (0) in the complexity cost. Default: "
          + "${DEFAULT-VALUE}.")
  double flopsShare;

  @Option(names = "--layer-share", defaultValue = "0.5",
      description = "In [0,1]: complexity pressure on block gates (1) versus unit/filter gates "
          + "(0). Default: ${DEFAULT-VALUE}.")
  double layerShare;

  @Option(names = "--target-macs",
      description = "Land on this fraction of the dense network's MACs, in (0, 1]: the pressure "
          + "adapts during the pruning phase (from a sixteenth of the strength); the gates and "
          + "the prior still choose what goes.")
  Double targetMacs;

  @Option(names = "--target-params",
      description = "Land on this fraction of the dense network's parameters, in (0, 1] (with "
          + "--target-macs, the tighter of the two binds).")
  Double targetParams;

  /** The complexity budget ({@link Budget#NONE} without targets). */
  Budget budget() {
    try {
      return new Budget(targetMacs == null ? Double.NaN : targetMacs,
          targetParams == null ? Double.NaN : targetParams);
    } catch (IllegalArgumentException e) {
      throw OptionChecks.named(e, "target MACs", "--target-macs", "target parameters",
          "--target-params");
    }
  }

  /** The knobs; a value out of range is refused with the option's name and its range. */
  PruningKnobs knobs() {
    try {
      return new PruningKnobs(strength, flopsShare, layerShare);
    } catch (IllegalArgumentException e) {
      throw OptionChecks.named(e, "strength", "--strength", "flopsShare", "--flops-share",
          "layerShare", "--layer-share");
    }
  }
}
