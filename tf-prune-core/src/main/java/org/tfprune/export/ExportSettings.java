package org.tfprune.export;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * How the compact model is written: kept widths rounded up to a multiple of {@code roundWidths}
 * (1 = as trained; see {@link WidthRounding}), and batch norm folded into the convolutions before
 * it ({@link BatchNormFolding}), and pruned input features read as one contiguous slice instead of
 * a gather ({@link InputSpan}). The verification's bound covers all three ({@link RoundingBound}).
 */
public record ExportSettings(int roundWidths, boolean foldBatchNorm, boolean inputSpan) {
  /**
   * Widths as trained, batch norm folded: the fastest graph with the gated network's function
   * (folding drops a batch-norm op per convolution; the verification's bound covers it).
   */
  public static final ExportSettings DEFAULT = new ExportSettings(1, true, true);

  /** Widths as trained, batch norm kept as its own op (the behaviour before folding was default). */
  public static final ExportSettings UNFOLDED = new ExportSettings(1, false, true);

  /**
   * No longer used: one derived bound covers folded and unfolded exports ({@link RoundingBound}).
   *
   * @deprecated the verification does not use a fixed tolerance
   */
  @Deprecated
  public static final double FOLDED_TOLERANCE = 1e-4;

  public ExportSettings {
    checkArgument(roundWidths >= 1 && roundWidths <= 1024,
        "--round-widths must be in [1, 1024] (1 = no rounding), got %s", roundWidths);
  }

  /** Widths rounded and batch norm folded as given, input features read as a slice. */
  public ExportSettings(int roundWidths, boolean foldBatchNorm) {
    this(roundWidths, foldBatchNorm, true);
  }

  /**
   * The fixed tolerance earlier versions verified with.
   *
   * @deprecated the verification derives its bound ({@link RoundingBound}); see {@link
   *     CompactExporter.VerifiedModel#fractionOfBound()}
   */
  @Deprecated
  @SuppressWarnings("deprecation")
  public double tolerance() {
    return foldBatchNorm ? FOLDED_TOLERANCE : CompactExporter.DEFAULT_TOLERANCE;
  }
}
