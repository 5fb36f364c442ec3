package org.tfprune.examples.experiments;

import java.awt.Color;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.tfprune.loss.PruningKnobs;

/**
 * The accuracy-complexity trade-off: a sweep of {@code strength} on LeNet-300-100 and LeNet-5 on
 * MNIST (seed 1, other knobs default), with the Pareto front of test error against MACs.
 */
final class TradeoffSuite implements Suite {
  static final String NAME = "tradeoff";
  /** MACs may rise by this factor from one strength to the next and still count as falling. */
  static final double MONOTONE_SLACK = 1.05;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public SuiteResult run(ExperimentContext ctx) {
    ExperimentPlan p = ctx.plan();
    SuiteResult.Builder b = ctx.startSuite(NAME, "Trade-off: the strength sweep",
        p.mlpStrengths().size() + p.convStrengths().size())
        .summary(String.format(Locale.ROOT, "MNIST, seed 1, flopsShare 0.5. LeNet-300-100: %d "
                + "epochs (last %d fine-tuning), strengths %s. LeNet-5: %s training images, %d "
                + "epochs (last %d fine-tuning), theta by Adam (step %s), strengths %s.",
            p.mlp().epochs(), p.mlp().finetuneEpochs(), p.mlpStrengths(),
            p.conv().trainLimit() == 0 ? "all" : String.valueOf(p.conv().trainLimit()),
            p.conv().epochs(), p.conv().finetuneEpochs(), p.convThetaLearningRate(),
            p.convStrengths()));
    PngChart chart = PngChart.of("Accuracy against MACs on MNIST (strength sweep)",
        "MACs (% of the dense network, log scale)", "test error (%, log scale)").logX().logY();
    List<RunSummary> all = new ArrayList<>();
    all.addAll(sweep(ctx, b, chart, RunRecipe.MLP, p.mlpStrengths(), p.mlp(),
        new Color(0x1f77b4)));
    all.addAll(sweep(ctx, b, chart, RunRecipe.CONV, p.convStrengths(), p.conv(),
        new Color(0xd62728)));
    chart.save(ctx.plotFile("tradeoff-pareto.png"));
    b.plot(new Plot("tradeoff-pareto.png", "test error against % of dense MACs, every strength; "
        + "lines join each model's Pareto-optimal points"));
    b.claimBinary(all, null, p.thresholds().binary());
    return b.build();
  }

  private static List<RunSummary> sweep(ExperimentContext ctx, SuiteResult.Builder b,
      PngChart chart, String model, List<Double> strengths, TrainingBudget budget, Color color) {
    List<RunSummary> runs = new ArrayList<>();
    for (double s : strengths) {
      runs.add(ctx.train(RunRecipe.gated(model, "mnist", 1.0,
          PruningKnobs.defaults().withStrength(s), 1, budget)).summary());
    }
    runs.forEach(b::run);
    List<RunSummary> front = paretoFront(runs);
    MarkdownTable.Builder t = MarkdownTable.builder(model + " on MNIST", "strength",
        "final widths", "MACs %", "params %", "test error %", "theta binary", "90% epoch",
        "Pareto-optimal");
    boolean monotone = true;
    for (int i = 0; i < runs.size(); i++) {
      RunSummary r = runs.get(i);
      t.row(Cells.num(r.strength(), 2), r.widths(), Cells.pct(r.macsPercent(), 2),
          Cells.pct(r.paramsPercent(), 2), Cells.num(100 - r.accuracyPercent(), 2),
          Cells.pct(100 * r.binaryFraction(), 2), r.epochOf90() + "/" + r.epochs(),
          front.contains(r) ? "yes" : "");
      if (i > 0 && r.macs() > runs.get(i - 1).macs() * MONOTONE_SLACK) {
        monotone = false;
      }
    }
    b.table(t.build());
    chart.points(model, runs.stream().mapToDouble(r -> Math.max(r.macsPercent(), 1e-3))
        .toArray(), runs.stream().mapToDouble(TradeoffSuite::error).toArray(), color);
    chart.line(model + " Pareto front", front.stream().mapToDouble(r ->
        Math.max(r.macsPercent(), 1e-3)).toArray(), front.stream().mapToDouble(TradeoffSuite::error)
        .toArray(), color);
    b.claim(model + ": MACs fall as strength rises (each step within "
            + Cells.pct(100 * (MONOTONE_SLACK - 1), 0) + " noise)",
        String.join(" -> ", runs.stream().map(r -> Cells.pct(r.macsPercent(), 1)).toList()),
        monotone);
    return runs;
  }

  /** Test error in percent, floored at 0.01 for the log axis. */
  private static double error(RunSummary r) {
    return Math.max(100 - r.accuracyPercent(), 0.01);
  }

  /** Runs no other run beats in both MACs and accuracy, by ascending MACs. */
  static List<RunSummary> paretoFront(List<RunSummary> runs) {
    List<RunSummary> sorted = new ArrayList<>(runs);
    sorted.sort(Comparator.comparingLong(RunSummary::macs)
        .thenComparing(Comparator.comparingDouble(RunSummary::testAccuracy).reversed()));
    List<RunSummary> front = new ArrayList<>();
    double best = Double.NEGATIVE_INFINITY;
    for (RunSummary r : sorted) {
      if (r.testAccuracy() > best) {
        front.add(r);
        best = r.testAccuracy();
      }
    }
    return front;
  }
}
