package org.tfprune.examples.bench;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.List;
import java.util.Locale;
import org.tfprune.examples.report.JsonFiles;

/**
 * The result of one side-by-side latency run over several compact / dense model pairs: per
 * model its MACs ratio and, per batch size, the latency ratio compact / dense (median and spread
 * of the per-round ratios). Printed as a table ({@link #toText()}) and written as JSON ({@link
 * #toJson()}).
 *
 * @param batches the batch sizes, in the order timed
 * @param budgetMsPerPair the time budget per model pair and batch size
 * @param onednn the value of {@code TF_ENABLE_ONEDNN_OPTS} during the run ("unset" when unset)
 * @param models the pairs, in the order given
 * @param profiles per-op profiles ({@code --profile}), empty when none was asked for
 * @param cClient the same pairs timed through the C API, or null when the C client did not run
 */
public record BenchTable(List<Integer> batches, long budgetMsPerPair, String onednn,
    List<Model> models, List<OpProfile.Profile> profiles, CClientTable cClient) {

  /** The batch size whose latency ratio is set against the MACs ratio. */
  public static final int REFERENCE_BATCH = 256;

  public BenchTable {
    batches = List.copyOf(batches);
    models = List.copyOf(models);
    profiles = profiles == null ? List.of() : List.copyOf(profiles);
    checkArgument(!models.isEmpty(), "a bench table needs at least one model");
  }

  /**
   * One compact / dense pair.
   *
   * @param name the label in the table
   * @param compact the compact SavedModel directory
   * @param dense the dense SavedModel directory, or how the dense network was made
   * @param macsRatio compact MACs / dense MACs
   * @param latency one cell per batch size, in the order of {@link #batches()}
   * @param ratioOverMacsRatio the median latency ratio at {@link #REFERENCE_BATCH} divided by
   *     the MACs ratio (null when that batch was not timed)
   */
  public record Model(String name, String compact, String dense, long compactMacs,
      long denseMacs, double macsRatio, List<RoundRobinLatency.Cell> latency,
      Double ratioOverMacsRatio) {
    public Model {
      latency = List.copyOf(latency);
    }

    /** A pair with its MACs ratio and {@link #ratioOverMacsRatio} computed from the counts. */
    public static Model of(String name, String compact, String dense, long compactMacs,
        long denseMacs, List<RoundRobinLatency.Cell> latency) {
      checkArgument(compactMacs > 0 && denseMacs > 0, "MACs must be positive, got compact %s, "
          + "dense %s", compactMacs, denseMacs);
      double macsRatio = (double) compactMacs / denseMacs;
      Double over = latency.stream().filter(c -> c.batch() == REFERENCE_BATCH).findFirst()
          .map(c -> c.ratio().median() / macsRatio).orElse(null);
      return new Model(name, compact, dense, compactMacs, denseMacs, macsRatio, latency, over);
    }
  }

  public byte[] toJson() {
    return JsonFiles.write(this);
  }

  public static BenchTable fromJson(byte[] json) {
    return JsonFiles.read(json, BenchTable.class);
  }


  /** The summary table, with a header line saying how to read it. */
  public String toText() {
    int nameWidth = Math.max(5, models.stream().mapToInt(m -> m.name().length()).max()
        .orElse(5));
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "Latency compact / dense, all models interleaved round "
        + "by round (TF_ENABLE_ONEDNN_OPTS=%s): median of the per-round ratios, middle half "
        + "(p25-p75) in brackets; below 1 = the compact model is faster. MACs ratio = compact / "
        + "dense MACs (from report.json; for --pair counted in the graphs). /MACs = the ratio at batch %d over the MACs ratio "
        + "(1.00 = latency falls as the MACs do, above 1 = less).%n", onednn,
        REFERENCE_BATCH));
    s.append(String.format(Locale.ROOT, "%-" + nameWidth + "s %10s", "model", "MACs ratio"));
    for (int b : batches) {
      s.append(String.format(Locale.ROOT, "  %-21s", "batch " + b));
    }
    s.append(String.format(Locale.ROOT, " %7s  %s%n", "/MACs", "rounds"));
    for (Model m : models) {
      s.append(String.format(Locale.ROOT, "%-" + nameWidth + "s %10.4f", m.name(),
          m.macsRatio()));
      for (RoundRobinLatency.Cell c : m.latency()) {
        s.append(String.format(Locale.ROOT, "  %-21s", String.format(Locale.ROOT,
            "%.3f (%.3f-%.3f)", c.ratio().median(), c.ratio().p25(), c.ratio().p75())));
      }
      s.append(String.format(Locale.ROOT, " %7s  %s%n", m.ratioOverMacsRatio() == null ? "-"
          : String.format(Locale.ROOT, "%.2f", m.ratioOverMacsRatio()), rounds(m)));
    }
    s.append(String.format(Locale.ROOT, "%nMedian latency in ms, compact / dense%n"));
    s.append(String.format(Locale.ROOT, "%-" + nameWidth + "s", "model"));
    for (int b : batches) {
      s.append(String.format(Locale.ROOT, "  %-21s", "batch " + b));
    }
    s.append(System.lineSeparator());
    for (Model m : models) {
      s.append(String.format(Locale.ROOT, "%-" + nameWidth + "s", m.name()));
      for (RoundRobinLatency.Cell c : m.latency()) {
        s.append(String.format(Locale.ROOT, "  %-21s", String.format(Locale.ROOT,
            "%s / %s", ms(c.compactMs()), ms(c.denseMs()))));
      }
      s.append(System.lineSeparator());
    }
    if (cClient != null) {
      s.append(System.lineSeparator()).append(cClient.toText());
    }
    if (!profiles.isEmpty()) {
      s.append(String.format(Locale.ROOT, "%nWhere a call's time goes, per op (FULL_TRACE "
          + "runs; an op's time is its all_end_rel_micros, median over the traced runs; share "
          + "= of the ops' total; identity = a one-op graph fed the same input, the floor of a "
          + "call)%n"));
      s.append(OpProfile.toText(profiles));
    }
    return s.toString();
  }

  /** Rounds per batch size, e.g. {@code 1200/840/96}. */
  private static String rounds(Model m) {
    return String.join("/", m.latency().stream().map(c -> String.valueOf(c.rounds())).toList());
  }

  /** Milliseconds with three significant digits or more. */
  private static String ms(double v) {
    return String.format(Locale.ROOT, v >= 100 ? "%.1f" : v >= 10 ? "%.2f" : "%.3f", v);
  }
}
