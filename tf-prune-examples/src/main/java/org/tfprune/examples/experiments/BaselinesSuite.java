package org.tfprune.examples.experiments;

import static com.google.common.base.Preconditions.checkState;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tfprune.complexity.Complexity;
import org.tfprune.complexity.ComplexityCounter;
import org.tfprune.loss.PenaltyKind;
import org.tfprune.loss.PruningKnobs;
import org.tfprune.slice.ParameterSet;
import org.tfprune.slice.WeightSlicer;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.GateGroup;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.KeepMask;
import org.tfprune.train.TrainerConfig;
import org.tfprune.train.TrainingResult;

/**
 * The method against established structured pruning at matched MACs, on LeNet-300-100 / MNIST,
 * with the same trainer, data and total epochs:
 *
 * <ol>
 *   <li>scratch: the method's compact architecture trained from scratch without gates;
 *   <li>l1-norm: a dense network trained for the method's pruning epochs, pruned per layer to the
 *       method's widths by the L1 norm of each structure's weights (Li et al. 2016), then
 *       fine-tuned for the method's fine-tuning epochs;
 *   <li>l1-norm-units: the same, but only the hidden units are ranked by L1 norm; the input
 *       pixels are the method's (a dense network trained without weight decay leaves the weights
 *       of pixels that are always 0 at their random initial values, so their L1 norm says
 *       nothing about their use);
 *   <li>l1-theta: the same gates trained with a plain L1 penalty on theta instead of the
 *       complexity-aware loss (network slimming on gates), its strength searched so that its
 *       MACs match the method's (on the first seed, then reused).
 * </ol>
 */
final class BaselinesSuite implements Suite {
  static final String NAME = "baselines";
  static final String METHOD = "complexity-aware";
  static final List<String> BASELINES = List.of("scratch", "l1-norm", "l1-norm-units",
      "l1-theta");

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public SuiteResult run(ExperimentContext ctx) {
    ExperimentPlan p = ctx.plan();
    TrainingBudget budget = p.mlp();
    SuiteResult.Builder b = ctx.startSuite(NAME, "Baselines at matched MACs",
        p.baselineSeeds().size() * 6 + p.slimmingProbes() - 1)
        .summary(String.format(Locale.ROOT, "LeNet-300-100 on MNIST, seeds %s, %d epochs in "
                + "total for every method. complexity-aware: the method, default knobs, last %d "
                + "epochs fine-tuning. scratch: the method's compact architecture (same input "
                + "pixels and widths), no gates, trained from a fresh initialization for %d "
                + "epochs. l1-norm: dense network trained %d epochs, pruned per layer to the "
                + "method's widths by L1 norm (Li et al. 2016), fine-tuned %d epochs. "
                + "l1-norm-units: the same with the method's input pixels, only hidden units "
                + "ranked by L1 norm. l1-theta: "
                + "the same gates with a plain L1 penalty on theta in place of the prior and the "
                + "complexity cost (network slimming), last %d epochs fine-tuning, its strength "
                + "searched with %d training runs on seed %d to match the method's MACs.",
            p.baselineSeeds(), budget.epochs(), budget.finetuneEpochs(), budget.epochs(),
            budget.pruningEpochs(), budget.finetuneEpochs(), budget.finetuneEpochs(),
            p.slimmingProbes(), p.baselineSeeds().get(0)));
    Map<String, List<RunSummary>> byMethod = new LinkedHashMap<>();
    byMethod.put(METHOD, new ArrayList<>());
    BASELINES.forEach(m -> byMethod.put(m, new ArrayList<>()));
    Double l1Strength = null;
    List<RunSummary> probes = new ArrayList<>();
    for (long seed : p.baselineSeeds()) {
      RunRecipe recipe = RunRecipe.gated(RunRecipe.MLP, "mnist", 1.0, PruningKnobs.defaults(),
          seed, budget);
      TrainedRun method = ctx.train(recipe);
      TrainingResult m = method.result();
      Complexity dense = m.denseComplexity();
      byMethod.get(METHOD).add(method.summary());
      TrainerConfig ungated = ctx.config(recipe).toBuilder().gated(false).finetuneEpochs(0)
          .build();
      ArchitectureSpec compact = m.compactSpec().withoutGates();

      byMethod.get("scratch").add(ctx.train(label("scratch", recipe), "scratch", recipe,
          compact, null, ungated, dense).summary());

      RunRecipe denseRecipe = new RunRecipe(RunRecipe.MLP, "mnist", 1.0,
          PruningKnobs.defaults(), seed, new TrainingBudget(budget.trainLimit(),
          budget.testLimit(), budget.pruningEpochs(), 0), false);
      ParameterSet denseParams = ctx.train(denseRecipe).result().parameters();
      KeepMask l1 = L1NormPruning.keep(m.spec(), denseParams, widths(m));
      ArchitectureSpec l1Spec = m.spec().compact(l1).withoutGates();
      checkState(ComplexityCounter.count(l1Spec).equals(m.compactComplexity()),
          "L1-norm pruning to the method's widths should give the method's MACs: %s vs %s",
          ComplexityCounter.count(l1Spec), m.compactComplexity());
      TrainerConfig finetune = ungated.toBuilder().epochs(budget.finetuneEpochs()).build();
      byMethod.get("l1-norm").add(ctx.train(label("l1-norm", recipe), "l1-norm", recipe,
          l1Spec, WeightSlicer.slice(m.spec(), denseParams, l1), finetune, dense).summary());
      KeepMask units = withGroup(l1, InputSpec.GATE_GROUP, m.keep());
      byMethod.get("l1-norm-units").add(ctx.train(label("l1-norm-units", recipe),
          "l1-norm-units", recipe, m.spec().compact(units).withoutGates(),
          WeightSlicer.slice(m.spec(), denseParams, units), finetune, dense).summary());

      if (l1Strength == null) {
        l1Strength = matchL1Strength(ctx, recipe, method.summary().macs(), p.slimmingProbes(),
            probes);
      }
      byMethod.get("l1-theta").add(ctx.train(RunRecipe.gated(RunRecipe.MLP, "mnist", 1.0,
          PruningKnobs.defaults().withPenalty(PenaltyKind.L1).withStrength(l1Strength), seed,
          budget)).summary());
    }
    report(ctx, b, byMethod, probes, l1Strength);
    return b.build();
  }

  private static String label(String method, RunRecipe r) {
    return String.format(Locale.ROOT, "%s %s %s seed %d", method, r.model(), r.dataset(),
        r.seed());
  }

  /** {@code mask} with gate group {@code group} taken from {@code from}. */
  private static KeepMask withGroup(KeepMask mask, String group, KeepMask from) {
    Map<String, boolean[]> m = new LinkedHashMap<>();
    for (String g : mask.groups()) {
      m.put(g, g.equals(group) ? from.flags(g) : mask.flags(g));
    }
    return KeepMask.of(m);
  }

  /** Live structures per gate group of the method's final network. */
  private static Map<String, Integer> widths(TrainingResult r) {
    Map<String, Integer> w = new LinkedHashMap<>();
    for (GateGroup g : r.spec().gateGroups()) {
      w.put(g.name(), r.keep().count(g.name()));
    }
    return w;
  }

  /**
   * Searches the L1 strength whose final MACs come closest to {@code target}: starting at 1, it
   * steps by 4x until the target is bracketed, then bisects geometrically; {@code probes}
   * training runs in all. Every probe is added to {@code out}.
   */
  private static double matchL1Strength(ExperimentContext ctx, RunRecipe basis, long target,
      int probes, List<RunSummary> out) {
    double below = Double.NaN; // a strength that leaves more MACs than the target
    double above = Double.NaN; // a strength that leaves fewer
    double s = 1;
    double best = s;
    double bestGap = Double.POSITIVE_INFINITY;
    for (int i = 0; i < probes; i++) {
      RunSummary r = ctx.train(RunRecipe.gated(basis.model(), basis.dataset(), 1.0,
          PruningKnobs.defaults().withPenalty(PenaltyKind.L1).withStrength(s), basis.seed(),
          basis.budget())).summary();
      out.add(r);
      double gap = Math.abs(Math.log(Math.max(r.macs(), 1) / (double) target));
      if (gap < bestGap) {
        bestGap = gap;
        best = s;
      }
      if (r.macs() > target) {
        below = s;
      } else {
        above = s;
      }
      s = Double.isNaN(above) ? Math.min(s * 4, PruningKnobs.MAX_STRENGTH)
          : Double.isNaN(below) ? s / 4 : Math.sqrt(below * above);
    }
    return best;
  }

  private static void report(ExperimentContext ctx, SuiteResult.Builder b,
      Map<String, List<RunSummary>> byMethod, List<RunSummary> probes, double l1Strength) {
    ExperimentPlan p = ctx.plan();
    List<RunSummary> methodRuns = byMethod.get(METHOD);
    SampleStats methodAcc = SampleStats.of(methodRuns.stream().map(RunSummary::accuracyPercent)
        .toList());
    int testSize = ctx.testData("mnist", p.mlp()).size();
    double se = 100 * Math.sqrt(methodAcc.mean() / 100 * (1 - methodAcc.mean() / 100) / testSize);
    MarkdownTable.Builder t = MarkdownTable.builder("Accuracy at matched MACs", "method",
        "MACs (mean)", "MACs % (mean)", "test acc % (mean ± std)", "per seed",
        "method - baseline (pts)", "theta binary (min)");
    PngChart chart = PngChart.of("LeNet-300-100 on MNIST: accuracy at matched MACs",
        "MACs (% of dense)", "test accuracy (%)");
    byMethod.forEach((name, runs) -> {
      runs.forEach(b::run);
      SampleStats macs = SampleStats.of(runs.stream().map(RunSummary::macs).toList());
      SampleStats macsPct = SampleStats.of(runs.stream().map(RunSummary::macsPercent).toList());
      SampleStats acc = SampleStats.of(runs.stream().map(RunSummary::accuracyPercent).toList());
      double minBinary = runs.stream().filter(r -> r.binaryFraction() != null)
          .mapToDouble(RunSummary::binaryFraction).min().orElse(Double.NaN);
      t.row(name, Cells.num(macs.mean(), 0), Cells.pct(macsPct.mean(), 2), Cells.pm(acc, 2),
          String.join(", ", runs.stream().map(r -> Cells.num(r.accuracyPercent(), 2)).toList()),
          name.equals(METHOD) ? "-" : Cells.num(methodAcc.mean() - acc.mean(), 2),
          Double.isNaN(minBinary) ? "- (no gates)" : Cells.pct(100 * minBinary, 2));
      chart.points(name, runs.stream().mapToDouble(RunSummary::macsPercent).toArray(),
          runs.stream().mapToDouble(RunSummary::accuracyPercent).toArray());
      if (!name.equals(METHOD)) {
        double margin = p.thresholds().baselineMarginPoints();
        b.claim(String.format(Locale.ROOT, "at matched MACs the method's accuracy is at least "
                + "%s's%s", name, margin > 0 ? " minus " + Cells.num(margin, 1) + " points" : ""),
            String.format(Locale.ROOT, "%s%% vs %s%% (%s pts; MACs %s vs %s)",
                Cells.num(methodAcc.mean(), 2), Cells.num(acc.mean(), 2),
                Cells.num(methodAcc.mean() - acc.mean(), 2), Cells.pct(SampleStats.of(
                    methodRuns.stream().map(RunSummary::macsPercent).toList()).mean(), 2),
                Cells.pct(macsPct.mean(), 2)),
            methodAcc.mean() >= acc.mean() - margin);
      }
    });
    b.table(t.build());
    chart.save(ctx.plotFile("baselines.png"));
    b.plot(new Plot("baselines.png", "test accuracy against % of dense MACs, one point per "
        + "method and seed"));
    MarkdownTable.Builder s = MarkdownTable.builder("l1-theta: search for the strength that "
        + "matches the method's MACs (seed " + p.baselineSeeds().get(0) + ")", "L1 strength",
        "final widths", "MACs %", "test acc %", "theta binary", "chosen");
    for (RunSummary r : probes) {
      s.row(Cells.num(r.strength(), 4), r.widths(), Cells.pct(r.macsPercent(), 2),
          Cells.num(r.accuracyPercent(), 2), Cells.pct(100 * r.binaryFraction(), 2),
          r.strength() == l1Strength ? "yes" : "");
    }
    b.table(s.build());
    probes.forEach(b::run);
    b.claimBinary(methodRuns, METHOD, p.thresholds().binary());
    b.note(String.format(Locale.ROOT, "One binomial standard error of a test accuracy near "
        + "%s%% on %d test images is %s points; differences below about twice that are noise.",
        Cells.num(methodAcc.mean(), 1), testSize, Cells.num(se, 2)));
    b.data("l1ThetaStrength", l1Strength);
  }
}
