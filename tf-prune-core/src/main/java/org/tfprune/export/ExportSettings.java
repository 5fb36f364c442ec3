package org.tfprune.export;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * How the compact model is written: kept widths rounded up to a multiple of {@code roundWidths}
 * (1 = as trained; see {@link WidthRounding}), and batch norm folded into the convolutions before
 * it ({@link BatchNormFolding}). The verification's bound covers both ({@link RoundingBound}).
 */
public record ExportSettings(int roundWidths, boolean foldBatchNorm) {
  /** As trained, batch norm kept. */
  public static final ExportSettings DEFAULT = new ExportSettings(1, false);

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
