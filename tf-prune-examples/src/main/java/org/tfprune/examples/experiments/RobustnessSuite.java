package org.tfprune.examples.experiments;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tfprune.loss.PruningKnobs;

/**
 * Robustness: LeNet-300-100 trained from several seeds and starting widths (width multipliers of
 * 300-100) on each data set, default knobs. Reports final widths, MACs and accuracy with their
 * mean, spread and coefficient of variation, per starting width and over all of them, and checks
 * the full size's bounds on MNIST.
 */
final class RobustnessSuite implements Suite {
  static final String NAME = "robustness";

  @Override
  public String name() {
    return NAME;
  }

  /** The runs of this suite, in order: data set, then width, then seed. */
  static List<RunRecipe> recipes(ExperimentPlan p) {
    List<RunRecipe> r = new ArrayList<>();
    for (String d : p.robustnessDatasets()) {
      for (double w : p.widths()) {
        for (long seed : p.seeds()) {
          r.add(RunRecipe.gated(RunRecipe.MLP, d, w, PruningKnobs.defaults(), seed, p.mlp()));
        }
      }
    }
    return r;
  }

  @Override
  public SuiteResult run(ExperimentContext ctx) {
    ExperimentPlan p = ctx.plan();
    List<RunRecipe> recipes = recipes(p);
    SuiteResult.Builder b = ctx.startSuite(NAME, "Robustness to the seed and the starting width",
        recipes.size())
        .summary(String.format(Locale.ROOT, "LeNet-300-100, default knobs (strength 1, "
            + "flopsShare 0.5), %d epochs (last %d fine-tuning), seeds %s, starting widths x%s "
            + "(x1 = 784-300-100-10), data sets %s.", p.mlp().epochs(),
            p.mlp().finetuneEpochs(), p.seeds(), p.widths(), p.robustnessDatasets()));
    Map<String, Map<Double, List<RunSummary>>> byDataset = new LinkedHashMap<>();
    List<RunSummary> all = new ArrayList<>();
    for (RunRecipe r : recipes) {
      RunSummary s = ctx.train(r).summary();
      byDataset.computeIfAbsent(r.dataset(), d -> new LinkedHashMap<>())
          .computeIfAbsent(r.widthMultiplier(), w -> new ArrayList<>()).add(s);
      all.add(s);
      b.run(s);
    }
    Map<String, Object> stats = new LinkedHashMap<>();
    byDataset.forEach((dataset, byWidth) -> {
      MarkdownTable.Builder t = MarkdownTable.builder(dataset + ": final networks by starting "
              + "width", "start", "runs", "final widths (per seed)", "MACs (mean ± std)",
          "MACs CV", "params (mean)", "test acc % (mean ± std)", "acc spread (pts)",
          "theta binary (min)");
      List<RunSummary> pooled = new ArrayList<>();
      PngChart chart = PngChart.of("LeNet-300-100 on " + dataset + ": seeds x starting widths",
          "final MACs", "test accuracy (%)");
      byWidth.forEach((w, runs) -> {
        row(t, runs.get(0).startWidths(), runs);
        pooled.addAll(runs);
        chart.points(runs.get(0).startWidths(), runs.stream().mapToDouble(RunSummary::macs)
            .toArray(), runs.stream().mapToDouble(RunSummary::accuracyPercent).toArray());
      });
      row(t, "all widths", pooled);
      b.table(t.build());
      String file = "robustness-" + dataset + ".png";
      chart.save(ctx.plotFile(file));
      b.plot(new Plot(file, "Final MACs and test accuracy of every run on " + dataset
          + " (one colour per starting width)"));
      SampleStats macs = SampleStats.of(pooled.stream().map(RunSummary::macs).toList());
      SampleStats acc = SampleStats.of(pooled.stream().map(RunSummary::accuracyPercent).toList());
      stats.put(dataset, Map.of("macs", macs, "accuracyPercent", acc, "macsCv", macs.cv(),
          "accuracySpreadPoints", acc.spread()));
      String scope = String.format(Locale.ROOT, "%s, %d seeds x %d widths", dataset,
          p.seeds().size(), byWidth.size());
      if (dataset.equals("mnist")) {
        b.claim(String.format(Locale.ROOT, "LeNet-300-100 on MNIST across seeds and widths: CV "
                + "of final MACs <= %s", Cells.pct(100 * p.thresholds().macsCv(), 0)),
            String.format(Locale.ROOT, "%s (%s)", Cells.pct(100 * macs.cv(), 1), scope),
            macs.cv() <= p.thresholds().macsCv());
        b.claim(String.format(Locale.ROOT, "LeNet-300-100 on MNIST across seeds and widths: "
                + "accuracy spread <= %s points", Cells.num(p.thresholds().accuracySpreadPoints(),
                1)),
            String.format(Locale.ROOT, "%s points (%s)", Cells.num(acc.spread(), 2), scope),
            acc.spread() <= p.thresholds().accuracySpreadPoints());
      } else {
        b.note(String.format(Locale.ROOT, "%s (no bound is set for this data set): CV of final MACs %s, "
            + "accuracy spread %s points over %s.", dataset, Cells.pct(100 * macs.cv(), 1),
            Cells.num(acc.spread(), 2), scope));
      }
    });
    b.claimBinary(all, null, p.thresholds().binary());
    return b.data("stats", stats).build();
  }

  private static void row(MarkdownTable.Builder t, String start, List<RunSummary> runs) {
    SampleStats macs = SampleStats.of(runs.stream().map(RunSummary::macs).toList());
    SampleStats params = SampleStats.of(runs.stream().map(RunSummary::params).toList());
    SampleStats acc = SampleStats.of(runs.stream().map(RunSummary::accuracyPercent).toList());
    double minBinary = runs.stream().mapToDouble(RunSummary::binaryFraction).min().orElseThrow();
    String widths = runs.size() > 6 ? runs.size() + " networks"
        : String.join(", ", runs.stream().map(RunSummary::widths).toList());
    t.row(start, runs.size(), widths, Cells.num(macs.mean(), 0) + " ± " + Cells.num(macs.std(), 0),
        Cells.pct(100 * macs.cv(), 1), Cells.num(params.mean(), 0), Cells.pm(acc, 2),
        Cells.num(acc.spread(), 2), Cells.pct(100 * minBinary, 2));
  }
}
