package org.tfprune.export;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * How the compact model is written: kept widths rounded up to a multiple of {@code roundWidths}
 * (1 = as trained; see {@link WidthRounding}), and batch norm folded into the convolutions before
 * it ({@link BatchNormFolding}), which the verification then checks within 1e-4 instead of 1e-5.
 */
public record ExportSettings(int roundWidths, boolean foldBatchNorm) {
  /** As trained, batch norm kept. */
  public static final ExportSettings DEFAULT = new ExportSettings(1, false);

  /** Verification tolerance with batch norm folded (the folded weights round differently). */
  public static final double FOLDED_TOLERANCE = 1e-4;

  public ExportSettings {
    checkArgument(roundWidths >= 1 && roundWidths <= 1024,
        "--round-widths must be in [1, 1024] (1 = no rounding), got %s", roundWidths);
  }

  /** The largest max-abs logit difference the verification accepts. */
  public double tolerance() {
    return foldBatchNorm ? FOLDED_TOLERANCE : CompactExporter.DEFAULT_TOLERANCE;
  }
}
