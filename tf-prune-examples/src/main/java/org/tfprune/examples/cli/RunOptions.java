package org.tfprune.examples.cli;

import org.tfprune.export.ExportSettings;
import picocli.CommandLine.Option;

/**
 * How a run treats an existing output, how much it prints, how the model is exported and how
 * long its latency is measured.
 */
final class RunOptions {
  @Option(names = "--overwrite", description = "Replace an existing output directory.")
  boolean overwrite;

  @Option(names = "--quiet", description = "Only epoch lines, no step lines.")
  boolean quiet;

  @Option(names = "--round-widths", defaultValue = "1",
      description = "Round the exported widths of units and filters up to a multiple of N (8 "
          + "suits GPU tensor cores); the added ones output exactly 0. Default: ${DEFAULT-VALUE} "
          + "(no rounding).")
  int roundWidths;

  @Option(names = "--fold-batch-norm", negatable = true, defaultValue = "true",
      fallbackValue = "true", description = "Fold batch norm into the convolutions of the "
      + "exported model (verified against the gated network within the same float32 rounding "
      + "bound as without folding); --no-fold-batch-norm keeps it as its own op. Default: on.")
  boolean foldBatchNorm;

  @Option(names = "--input-span", negatable = true,
      description = "Read the kept input features of a network with input gates as one "
          + "contiguous slice (with zero weights for the features pruned inside it), which is "
          + "faster than a gather but computes the MACs of the whole slice; --no-input-span "
          + "selects exactly the kept features. Default: on, off with --target-macs (the "
          + "exported graph then computes the MACs the budget counts).")
  Boolean inputSpan;

  @Option(names = "--latency-budget-ms", defaultValue = "1500",
      description = "Rough time the dense / compact latency comparison of the report spends per "
          + "batch size (at least 15 timed pairs each; 0 = only those). Default: "
          + "${DEFAULT-VALUE}.")
  long latencyBudgetMillis;

  /** The latency comparison's time per batch size, checked. */
  long latencyBudgetMillis() {
    if (latencyBudgetMillis < 0) {
      throw new IllegalArgumentException("--latency-budget-ms must be >= 0, got "
          + latencyBudgetMillis);
    }
    return latencyBudgetMillis;
  }

  /**
   * How the compact model is exported: with a MACs budget ({@code macsBudget}) the input is read
   * as a slice only if asked for, so the graph computes the MACs the budget counted.
   */
  ExportSettings export(boolean macsBudget) {
    return new ExportSettings(roundWidths, foldBatchNorm,
        inputSpan != null ? inputSpan : !macsBudget);
  }
}
