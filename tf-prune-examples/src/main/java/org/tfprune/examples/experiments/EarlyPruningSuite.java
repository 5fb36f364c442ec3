package org.tfprune.examples.experiments;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;
import org.tfprune.loss.PruningKnobs;
import org.tfprune.train.EpochStats;

/**
 * Early pruning: how fast LeNet-300-100 on MNIST (default knobs, starting width 300-100) sheds
 * its structures. Plots theta trajectories and the % of MACs left during training, and checks
 * that 90% of the final MACs reduction is reached within the first 30% of the epochs.
 */
final class EarlyPruningSuite implements Suite {
  static final String NAME = "early-pruning";
  /** Theta trajectories plotted (and kept in the JSON) per gate group. */
  static final int TRAJECTORIES = 16;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public SuiteResult run(ExperimentContext ctx) {
    ExperimentPlan p = ctx.plan();
    SuiteResult.Builder b = ctx.startSuite(NAME, "Early pruning", p.seeds().size())
        .summary(String.format(Locale.ROOT, "LeNet-300-100 (784-300-100-10) on MNIST, default "
                + "knobs, %d epochs (last %d fine-tuning), seeds %s. \"90%% epoch\" is the first "
                + "epoch after which at least 90%% of the final MACs reduction was reached.",
            p.mlp().epochs(), p.mlp().finetuneEpochs(), p.seeds()));
    List<TrainedRun> runs = new ArrayList<>();
    for (long seed : p.seeds()) {
      runs.add(ctx.train(RunRecipe.gated(RunRecipe.MLP, "mnist", 1.0, PruningKnobs.defaults(),
          seed, p.mlp())));
    }
    int epochs = p.mlp().epochs();
    int[] marks = marks(epochs);
    List<String> headers = new ArrayList<>(List.of("seed", "final widths", "final MACs %"));
    for (int m : marks) {
      headers.add("MACs % after epoch " + m);
    }
    headers.addAll(List.of("90% epoch", "90% epoch / epochs", "theta >= "
        + Cells.pct(100 * p.thresholds().binary(), 0) + " binary from epoch"));
    MarkdownTable.Builder t = MarkdownTable.builder("% of MACs left while training",
        headers.toArray(String[]::new));
    PngChart macs = PngChart.of("LeNet-300-100 on MNIST: MACs left while training", "epoch",
        "MACs of the deterministic network (% of dense)");
    PngChart binary = PngChart.of("LeNet-300-100 on MNIST: theta within 0.01 of 0 or 1",
        "epoch", "binary theta (%)");
    int worst = 0;
    for (TrainedRun r : runs) {
      RunSummary s = r.summary();
      b.run(s);
      List<Object> row = new ArrayList<>(List.of(s.seed(), s.widths(),
          Cells.pct(s.macsPercent(), 2)));
      for (int m : marks) {
        row.add(Cells.pct(100 * s.history().get(m - 1).macsFraction(), 2));
      }
      row.add(s.epochOf90());
      row.add(Cells.pct(100.0 * s.epochOf90() / epochs, 0));
      row.add(binaryFrom(s.history(), p.thresholds().binary()));
      t.row(row.toArray());
      worst = Math.max(worst, s.epochOf90());
      List<double[]> curve = r.trace().macsCurve();
      macs.line("seed " + s.seed(), curve.stream().mapToDouble(c -> c[0]).toArray(),
          curve.stream().mapToDouble(c -> 100 * c[1]).toArray());
      binary.line("seed " + s.seed(), s.history().stream().mapToDouble(EpochStats::epoch)
          .toArray(), s.history().stream().mapToDouble(e -> 100 * e.binaryFraction()).toArray());
    }
    b.table(t.build());
    macs.save(ctx.plotFile("early-macs.png"));
    b.plot(new Plot("early-macs.png", "% of dense MACs left at every pruning check (every 100 "
        + "steps), one line per seed"));

    TrainedRun first = runs.get(0);
    Map<String, Map<Integer, double[]>> sample = first.trace().sample(TRAJECTORIES, 1);
    double[] x = new double[first.trace().thetas().size()];
    for (int e = 0; e < x.length; e++) {
      x[e] = e;
    }
    sample.forEach((group, gates) -> {
      PngChart c = PngChart.of(String.format(Locale.ROOT, "theta of %d random %s gates (seed %d)",
          gates.size(), group, first.summary().seed()), "epoch", "theta").noLegend()
          .yRange(-0.05, 1.05);
      gates.forEach((i, traj) -> c.line(group + "[" + i + "]", x, traj));
      String file = "early-theta-" + group + ".png";
      c.save(ctx.plotFile(file));
      b.plot(new Plot(file, "theta trajectories of " + gates.size() + " randomly chosen gates of "
          + "group " + group + " (epoch 0 = initial value)"));
    });
    binary.save(ctx.plotFile("early-binary.png"));
    b.plot(new Plot("early-binary.png", "share of theta within 0.01 of 0 or 1 after each epoch "
        + "(after the pruning phase theta is rounded)"));

    double bound = p.thresholds().earlyFraction();
    b.claim(String.format(Locale.ROOT, "90%% of the final pruning within the first %s of the "
            + "epochs", Cells.pct(100 * bound, 0)),
        String.format(Locale.ROOT, "latest 90%% epoch %d of %d (%s) over %d seeds", worst, epochs,
            Cells.pct(100.0 * worst / epochs, 0), runs.size()), worst <= bound * epochs);
    b.claimBinary(runs.stream().map(TrainedRun::summary).toList(), null,
        p.thresholds().binary());
    Map<String, Object> traj = new LinkedHashMap<>();
    sample.forEach((g, m) -> {
      Map<String, double[]> named = new LinkedHashMap<>();
      m.forEach((i, v) -> named.put(String.valueOf(i), v));
      traj.put(g, named);
    });
    b.data("thetaTrajectoriesSeed" + first.summary().seed(), traj);
    Map<String, Object> curves = new LinkedHashMap<>();
    runs.forEach(r -> curves.put("seed" + r.summary().seed(), r.trace().macsCurve()));
    b.data("macsCurves", curves);
    return b.build();
  }

  /** Epochs shown in the table: 1, 2, 3, 5 and every tenth, up to the last. */
  private static int[] marks(int epochs) {
    return IntStream.rangeClosed(1, epochs)
        .filter(e -> e <= 3 || e == 5 || e % 10 == 0).toArray();
  }

  /**
   * The first epoch of the pruning phase from which the binary fraction stays at or above
   * {@code bound} to the phase's end (fine-tuning rounds theta, so it is not counted).
   */
  private static String binaryFrom(List<EpochStats> h, double bound) {
    int from = -1;
    for (EpochStats e : h.stream().filter(e -> e.phase().equals("prune")).toList()) {
      if (e.binaryFraction() >= bound) {
        from = from < 0 ? e.epoch() : from;
      } else {
        from = -1;
      }
    }
    return from < 0 ? "never" : String.valueOf(from);
  }
}
