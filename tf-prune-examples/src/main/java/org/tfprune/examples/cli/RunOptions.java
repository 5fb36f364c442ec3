package org.tfprune.examples.cli;

import org.tfprune.export.ExportSettings;
import picocli.CommandLine.Option;

/** How a run treats an existing output and how much it prints. */
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

  @Option(names = "--fold-batch-norm", description = "Fold batch norm into the convolutions of "
      + "the exported model (verified against the gated network within the same float32 "
      + "rounding bound as without folding).")
  boolean foldBatchNorm;

  /** How the compact model is exported. */
  ExportSettings export() {
    return new ExportSettings(roundWidths, foldBatchNorm);
  }
}
