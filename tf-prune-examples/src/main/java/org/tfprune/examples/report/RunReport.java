package org.tfprune.examples.report;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;
import org.tfprune.examples.bench.LatencyBenchmark;
import org.tfprune.train.EpochStats;

/**
 * What a train-and-prune run reports, written as {@code report.json} beside the SavedModel and
 * printed as a table.
 */
public record RunReport(Settings settings, Network dense, Network compact, Gates gates,
    Export export, double macsRatio, double paramsRatio, List<LatencyBenchmark.Row> latency,
    List<EpochStats> history, List<EpochStats> baselineHistory, Import imported,
    @JsonInclude(JsonInclude.Include.NON_NULL) BudgetResult budget) {

  /**
   * Where a run with a complexity budget landed: each target (null when not set), the fraction
   * the compact network keeps, and the miss relative to the target ({@code (kept - target) /
   * target}). The strength's path per epoch is in the history.
   */
  public record BudgetResult(Double targetMacs, Double targetParams, double keptMacs,
      double keptParams, Double macsMiss, Double paramsMiss) {

    /** The result of {@code budget} for a network keeping these fractions (null: no budget). */
    public static BudgetResult of(org.tfprune.train.Budget budget, double macs, double params) {
      if (!budget.isSet()) {
        return null;
      }
      Double tm = Double.isNaN(budget.macs()) ? null : budget.macs();
      Double tp = Double.isNaN(budget.params()) ? null : budget.params();
      return new BudgetResult(tm, tp, macs, params, tm == null ? null : (macs - tm) / tm,
          tp == null ? null : (params - tp) / tp);
    }
  }

  /**
   * The model a {@code prune} run started from (null for {@code train}): its path, the signature
   * kept, and how closely the imported network with every gate open reproduced it before
   * training.
   */
  public record Import(String source, String signature, double maxAbsDiff, double tolerance,
      int checkedExamples, List<String> notes) {}

  /** The run's settings. */
  public record Settings(String model, String dataset, List<Integer> inputShape,
      double strength, double flopsShare,
      double layerShare, int epochs, int finetuneEpochs, int batchSize, String optimizer,
      double learningRate, double thetaLearningRate, long seed, int trainExamples,
      int testExamples, String thetaOptimizer) {}

  /**
   * One network's size and quality. {@code testAccuracy} is null when not measured (e.g. the
   * dense baseline switched off). {@code trainSeconds} counts the training steps;
   * {@code wallSeconds} the whole training call (graph builds and rebuilds, evaluation after each
   * epoch, checkpoints). {@code streamWidths} lists the residual stream's channels per stage when
   * they are coupled and pruned ({@code --couple-stream-channels}); it is absent otherwise.
   */
  public record Network(String widths, Map<String, Integer> widthPerLayer, long macs,
      long params, Double testAccuracy, Double trainSeconds, Double wallSeconds,
      @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, Integer> streamWidths) {

    /** The stream widths joined per stage, e.g. {@code 16-32-64} (empty when not coupled). */
    public String streamWidthString() {
      return streamWidths == null ? "" : streamWidths.values().stream().map(String::valueOf)
          .collect(java.util.stream.Collectors.joining("-"));
    }
  }

  /** The gates at the end of training. */
  public record Gates(double binaryFraction, int epochOf90PercentPruning,
      double deterministicTestAccuracy, int structuresRemoved, List<String> blocksRemoved) {}

  /** The exported SavedModel. */
  public record Export(String path, double maxAbsDiff, double tolerance, int verifiedExamples,
      long graphMacs, long graphParams, long nodesWithDevice) {}

  public byte[] toJson() {
    return JsonFiles.write(this);
  }

  public static RunReport fromJson(byte[] json) {
    return JsonFiles.read(json, RunReport.class);
  }


  /** The human-readable summary table. */
  /**
   * Training cost per epoch: the MACs per example of the graph that was trained (it falls when the
   * trainer rebuilds it smaller) and the wall time, beside the dense baseline's; then the totals.
   */
  String trainingCost() {
    StringBuilder s = new StringBuilder();
    if (history.isEmpty()) {
      return "";
    }
    boolean withDense = !baselineHistory.isEmpty();
    s.append(String.format("%-6s %-9s %14s %10s %9s %9s%s%n", "epoch", "phase", "train MACs",
        "MACs left", "strength", "seconds", withDense ? "  dense seconds" : ""));
    double total = 0;
    double denseTotal = 0;
    for (int i = 0; i < history.size(); i++) {
      EpochStats e = history.get(i);
      total += e.seconds();
      String d = "";
      if (withDense && i < baselineHistory.size()) {
        denseTotal += baselineHistory.get(i).seconds();
        d = String.format("  %13.2f", baselineHistory.get(i).seconds());
      }
      s.append(String.format("%-6d %-9s %,14.0f %9.2f%% %9.3g %9.2f%s%n", e.epoch(), e.phase(),
          e.trainingMacs(), 100 * e.macsFraction(), e.strength(), e.seconds(), d));
    }
    s.append(String.format("training steps: train+prune %.1f s%s%n", total, withDense
        ? String.format(", dense %.1f s, ratio %.2fx", denseTotal, total / denseTotal) : ""));
    if (compact.wallSeconds() != null) {
      boolean both = dense.wallSeconds() != null;
      s.append(String.format("training wall time (with evaluation, graph builds, rebuilds and "
          + "checkpoints): train+prune %.1f s%s%n", compact.wallSeconds(), both
          ? String.format(", dense %.1f s, ratio %.2fx", dense.wallSeconds(),
              compact.wallSeconds() / dense.wallSeconds()) : ""));
    }
    return s.toString();
  }

  public String toTable() {
    StringBuilder s = new StringBuilder();
    s.append(String.format("%n%s on %s  (strength %s, flopsShare %s, layerShare %s, %d epochs"
            + "%s)%n", settings.model(), settings.dataset(), settings.strength(),
        settings.flopsShare(), settings.layerShare(), settings.epochs(),
        settings.finetuneEpochs() > 0 ? ", last " + settings.finetuneEpochs() + " fine-tuning"
            : ""));
    String rule = "-".repeat(78) + "\n";
    if (imported != null) {
      s.append(String.format("imported %s (signature '%s'): with every gate open it reproduces "
              + "the original within %.2g (tolerance %.0e) over %d test examples%n",
          imported.source(), imported.signature(), imported.maxAbsDiff(), imported.tolerance(),
          imported.checkedExamples()));
      imported.notes().forEach(n -> s.append("  note: ").append(n).append('\n'));
    }
    s.append(rule);
    s.append(String.format("%-10s %-22s %12s %12s %12s%n", "network", "widths", "MACs", "params",
        "test acc"));
    s.append(rule);
    row(s, imported != null ? "original" : "dense", dense);
    row(s, "compact", compact);
    s.append(rule);
    if (!compact.streamWidthString().isEmpty()) {
      s.append(String.format("residual stream channels per stage (coupled): %s %s, compact %s%n",
          imported != null ? "original" : "dense", dense.streamWidthString(),
          compact.streamWidthString()));
    }
    s.append(String.format("compact / %s: MACs %.2f%%, params %.2f%%%n",
        imported != null ? "original" : "dense", 100 * macsRatio, 100 * paramsRatio));
    Integer keptInputs = history.isEmpty() ? null
        : history.get(history.size() - 1).liveWidths().get("input");
    Integer readInputs = compact.widthPerLayer().get("input");
    if (keptInputs != null && readInputs != null && readInputs > keptInputs) {
      EpochStats last = history.get(history.size() - 1);
      s.append(String.format("inputs: %d of %d kept, read as one slice of %d (faster than a "
              + "gather; the MACs above count the slice); the kept structure alone is MACs "
              + "%.2f%%, params %.2f%%%n", keptInputs, dense.widthPerLayer().get("input"),
          readInputs, 100 * last.macsFraction(), 100 * last.paramsFraction()));
    }
    if (budget != null) {
      s.append("budget:");
      if (budget.targetMacs() != null) {
        s.append(String.format(" MACs target %.2f%%, kept %.2f%% (%+.1f%% of the target)",
            100 * budget.targetMacs(), 100 * budget.keptMacs(), 100 * budget.macsMiss()));
      }
      if (budget.targetParams() != null) {
        s.append(String.format(" params target %.2f%%, kept %.2f%% (%+.1f%% of the target)",
            100 * budget.targetParams(), 100 * budget.keptParams(), 100 * budget.paramsMiss()));
      }
      s.append(String.format("; theta optimizer %s%n", settings.thetaOptimizer()));
    }
    s.append(String.format("theta within 0.01 of 0 or 1: %.2f%%; 90%% of the pruning reached at "
        + "epoch %d of %d%n", 100 * gates.binaryFraction(), gates.epochOf90PercentPruning(),
        settings.epochs()));
    if (!gates.blocksRemoved().isEmpty()) {
      s.append("residual blocks removed: ").append(String.join(", ", gates.blocksRemoved()))
          .append('\n');
    }
    s.append(String.format("export: max |compact - gated| = %.2g over %d test examples; graph "
            + "counts %d MACs, %d params; %d nodes with a device%n", export.maxAbsDiff(),
        export.verifiedExamples(), export.graphMacs(), export.graphParams(),
        export.nodesWithDevice()));
    if (!latency.isEmpty()) {
      String reference = imported != null ? "original" : "dense";
      s.append(String.format("%-8s %12s %12s %9s   (MACs ratio %s/compact %.2fx)%n", "batch",
          reference + " ms", "compact ms", "speedup", reference, 1 / macsRatio));
      for (LatencyBenchmark.Row r : latency) {
        s.append(String.format("%-8d %12.3f %12.3f %8.2fx%n", r.batch(), r.denseMs(),
            r.compactMs(), r.speedup()));
      }
    }
    s.append(trainingCost());
    s.append("SavedModel: ").append(export.path()).append('\n');
    return s.toString();
  }

  private static void row(StringBuilder s, String name, Network n) {
    s.append(String.format("%-10s %-22s %12d %12d %12s%n", name, n.widths(), n.macs(), n.params(),
        n.testAccuracy() == null ? "-" : String.format("%.2f%%", 100 * n.testAccuracy())));
  }
}
