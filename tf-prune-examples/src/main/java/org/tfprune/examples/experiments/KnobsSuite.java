package org.tfprune.examples.experiments;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.tfprune.loss.PruningKnobs;

/**
 * The flopsShare knob on LeNet-5 / MNIST: 0 prices parameters, 1 prices MACs. LeNet-5's MACs sit
 * in its convolutions and its parameters in its 800x500 dense layer, so flopsShare 1 should end
 * with fewer MACs and flopsShare 0 with fewer parameters.
 */
final class KnobsSuite implements Suite {
  static final String NAME = "knobs";
  static final double[] FLOPS_SHARES = {0, 0.5, 1};

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public SuiteResult run(ExperimentContext ctx) {
    ExperimentPlan p = ctx.plan();
    TrainingBudget budget = p.conv();
    SuiteResult.Builder b = ctx.startSuite(NAME, "Knobs: flopsShare on LeNet-5",
        FLOPS_SHARES.length)
        .summary(String.format(Locale.ROOT, "LeNet-5 (20-50-800-500) on MNIST, %s training "
                + "images, %d epochs (last %d fine-tuning), strength %s, seed 1, flopsShare %s.",
            budget.trainLimit() == 0 ? "all" : String.valueOf(budget.trainLimit()),
            budget.epochs(), budget.finetuneEpochs(), Cells.num(p.convStrength(), 2),
            Arrays.toString(FLOPS_SHARES)));
    List<RunSummary> runs = new ArrayList<>();
    for (double fs : FLOPS_SHARES) {
      runs.add(ctx.train(RunRecipe.gated(RunRecipe.CONV, "mnist", 1.0,
          PruningKnobs.defaults().withStrength(p.convStrength()).withFlopsShare(fs), 1,
          budget)).summary());
    }
    MarkdownTable.Builder t = MarkdownTable.builder("LeNet-5 on MNIST by flopsShare",
        "flopsShare", "final widths", "MACs", "MACs %", "params", "params %", "test acc %",
        "theta binary");
    PngChart chart = PngChart.of("LeNet-5 on MNIST: flopsShare moves MACs against parameters",
        "parameters (% of dense)", "MACs (% of dense)");
    for (RunSummary r : runs) {
      b.run(r);
      t.row(Cells.num(r.flopsShare(), 1), r.widths(), r.macs(), Cells.pct(r.macsPercent(), 2),
          r.params(), Cells.pct(r.paramsPercent(), 2), Cells.num(r.accuracyPercent(), 2),
          Cells.pct(100 * r.binaryFraction(), 2));
      chart.points("flopsShare " + Cells.num(r.flopsShare(), 1),
          new double[] {r.paramsPercent()}, new double[] {r.macsPercent()});
    }
    b.table(t.build());
    chart.save(ctx.plotFile("knobs.png"));
    b.plot(new Plot("knobs.png", "final parameters and MACs of LeNet-5 for each flopsShare"));
    RunSummary params = runs.get(0);
    RunSummary macs = runs.get(runs.size() - 1);
    b.claim("flopsShare 1 ends with fewer MACs than flopsShare 0",
        String.format(Locale.ROOT, "%d vs %d MACs (%s vs %s)", macs.macs(), params.macs(),
            Cells.pct(macs.macsPercent(), 2), Cells.pct(params.macsPercent(), 2)),
        macs.macs() < params.macs());
    b.claim("flopsShare 0 ends with fewer parameters than flopsShare 1",
        String.format(Locale.ROOT, "%d vs %d parameters (%s vs %s)", params.params(),
            macs.params(), Cells.pct(params.paramsPercent(), 2),
            Cells.pct(macs.paramsPercent(), 2)), params.params() < macs.params());
    b.claimBinary(runs, null, p.thresholds().binary());
    return b.build();
  }
}
