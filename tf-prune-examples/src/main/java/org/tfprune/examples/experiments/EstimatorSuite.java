package org.tfprune.examples.experiments;

import java.awt.Color;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The straight-through estimator against the exact gradient by enumeration, on random tiny gated
 * networks ({@link EstimatorStudy}): per gate the bias of the estimator's mean and the standard
 * deviation of one estimate; per network the cosine between mean estimate and exact gradient.
 */
final class EstimatorSuite implements Suite {
  static final String NAME = "estimator";
  /** The bound the cosine between the estimator's mean and the exact gradient is held to. */
  static final double MIN_COSINE = 0.8;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public SuiteResult run(ExperimentContext ctx) {
    EstimatorBudget e = ctx.plan().estimator();
    SuiteResult.Builder b = ctx.startSuite(NAME,
        "Estimator: straight-through against the exact gradient", 0)
        .summary(String.format(Locale.ROOT, "%d random tiny networks (3 gated inputs, 3 gated "
                + "ReLU units, 2 logits; 64 gate states), theta uniform in [0.2, 0.9], a batch "
                + "of %d Gaussian inputs with teacher labels; %d straight-through estimates per "
                + "network, sampled as in training. Exact gradient of the expected cross-entropy "
                + "by enumerating every gate state. Bias = mean estimate - exact; std = standard "
                + "deviation of one estimate (one training step's batch).", e.networks(),
            e.batch(), e.samples()));
    List<EstimatorStudy.NetworkEstimate> nets = new ArrayList<>();
    for (long seed = 1; seed <= e.networks(); seed++) {
      EstimatorStudy.NetworkEstimate n = EstimatorStudy.measure(seed, e.batch(), e.samples());
      nets.add(n);
      ctx.progress().note(String.format(Locale.ROOT, "[%s] network %d: cosine %.3f, relative "
          + "bias %.3f, relative std %.3f", NAME, seed, n.cosine(), n.relativeBias(),
          n.relativeStd()));
    }
    EstimatorStudy.NetworkEstimate first = nets.get(0);
    MarkdownTable.Builder g = MarkdownTable.builder("Per gate, network 1", "gate", "theta",
        "exact", "mean STE (± s.e.)", "bias", "bias / |exact|", "std of one estimate");
    for (EstimatorStudy.GateEstimate x : first.gates()) {
      g.row(x.gate(), Cells.num(x.theta(), 2), Cells.num(x.exact(), 5),
          Cells.num(x.mean(), 5) + " ± " + Cells.num(x.standardError(), 5),
          Cells.num(x.bias(), 5), Cells.pct(100 * x.bias() / Math.abs(x.exact()), 0),
          Cells.num(x.std(), 5));
    }
    b.table(g.build());
    MarkdownTable.Builder n = MarkdownTable.builder("Per network", "network",
        "cosine(mean STE, exact)", "sign agreement (large gates)", "|bias| / |exact|",
        "std of one estimate / |exact|");
    for (EstimatorStudy.NetworkEstimate x : nets) {
      n.row(x.seed(), Cells.num(x.cosine(), 3), Cells.pct(100 * x.signAgreement(), 0),
          Cells.num(x.relativeBias(), 3), Cells.num(x.relativeStd(), 3));
    }
    SampleStats cos = SampleStats.of(nets.stream().map(EstimatorStudy.NetworkEstimate::cosine)
        .toList());
    SampleStats sign = SampleStats.of(nets.stream()
        .map(EstimatorStudy.NetworkEstimate::signAgreement).toList());
    SampleStats bias = SampleStats.of(nets.stream()
        .map(EstimatorStudy.NetworkEstimate::relativeBias).toList());
    SampleStats std = SampleStats.of(nets.stream()
        .map(EstimatorStudy.NetworkEstimate::relativeStd).toList());
    n.row("mean ± std", Cells.pm(cos, 3), Cells.pct(100 * sign.mean(), 0), Cells.pm(bias, 3),
        Cells.pm(std, 3));
    b.table(n.build());

    PngChart chart = PngChart.of("Straight-through estimate against the exact gradient",
        "exact gradient", "mean straight-through estimate");
    double lo = 0;
    double hi = 0;
    for (EstimatorStudy.NetworkEstimate x : nets) {
      double[] ex = x.gates().stream().mapToDouble(EstimatorStudy.GateEstimate::exact).toArray();
      double[] st = x.gates().stream().mapToDouble(EstimatorStudy.GateEstimate::mean).toArray();
      chart.points("network " + x.seed(), ex, st);
      for (int i = 0; i < ex.length; i++) {
        lo = Math.min(lo, Math.min(ex[i], st[i]));
        hi = Math.max(hi, Math.max(ex[i], st[i]));
      }
    }
    chart.line("y = x", new double[] {lo, hi}, new double[] {lo, hi}, Color.GRAY);
    chart.save(ctx.plotFile("estimator.png"));
    b.plot(new Plot("estimator.png", "mean straight-through estimate against the exact "
        + "gradient, every gate of every network (on the grey line the estimator is unbiased)"));
    b.claim(String.format(Locale.ROOT, "the straight-through estimate points like the exact "
            + "gradient: mean cosine >= %s", Cells.num(MIN_COSINE, 1)),
        String.format(Locale.ROOT, "%s (min %s) over %d networks; sign right on %s of large "
            + "gates; |bias| / |exact| %s", Cells.num(cos.mean(), 3), Cells.num(cos.min(), 3),
            nets.size(), Cells.pct(100 * sign.mean(), 0), Cells.num(bias.mean(), 2)),
        cos.mean() >= MIN_COSINE);
    b.note("The straight-through estimator is biased (it differentiates the loss at the sampled "
        + "gate value instead of taking the difference between open and closed gates); no "
        + "unbiased (score-function or antithetic) estimator is offered in the product, so its "
        + "cost per step and effect on final results are not measured here.");
    Map<String, Object> data = new LinkedHashMap<>();
    for (EstimatorStudy.NetworkEstimate x : nets) {
      data.put("network" + x.seed(), x.gates());
    }
    return b.data("gates", data).build();
  }
}
