package org.tfprune.examples.bench;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.tensorflow.Result;
import org.tensorflow.types.TFloat32;

/**
 * Inference latency of several compact / dense model pairs measured in one run: at each batch
 * size every round runs each of the models once, all pairs' compact and dense models in turn
 * (the starting model rotating from round to round, so every model takes every place in the
 * order equally often), so a slow phase of the machine falls on all of them alike. Each pair's
 * ratio compact / dense is taken per round, and its median and spread are reported.
 */
public final class RoundRobinLatency {
  /** One model pair to time; both take the same input. */
  public record Pair(String name, LatencyBenchmark.Target compact,
      LatencyBenchmark.Target dense) {}

  /** The median and spread of per-round values. */
  public record Spread(double median, double p25, double p75, double min, double max) {
    /** The spread of {@code v} (not empty). */
    public static Spread of(double[] v) {
      return new Spread(InterleavedSteps.quantile(v, 0.5), InterleavedSteps.quantile(v, 0.25),
          InterleavedSteps.quantile(v, 0.75), InterleavedSteps.quantile(v, 0),
          InterleavedSteps.quantile(v, 1));
    }
  }

  /**
   * One pair at one batch size: the median run time of each model in milliseconds and the
   * per-round ratios compact / dense, over {@code rounds} rounds.
   */
  public record Cell(int batch, double compactMs, double denseMs, Spread ratio, int rounds) {}

  /** The fewest timed rounds per batch size, whatever the budget. */
  public static final int MIN_ROUNDS = LatencyBenchmark.MIN_ROUNDS;

  /** The most timed rounds per batch size. */
  public static final int MAX_ROUNDS = 3000;

  private RoundRobinLatency() {}

  /**
   * Times every pair at every batch size.
   *
   * @param budgetMillisPerPair rough time to spend per pair and batch size
   * @param progress receives a line as each batch size starts and as its rounds advance
   * @return per pair (in the order given), one cell per batch size (in the order given)
   */
  public static List<List<Cell>> measure(List<Pair> pairs, int[] batches,
      long budgetMillisPerPair, long seed, Consumer<String> progress) {
    checkArgument(!pairs.isEmpty(), "no model pair to time");
    checkArgument(batches.length > 0, "no batch size");
    List<List<Cell>> cells = new ArrayList<>();
    pairs.forEach(p -> cells.add(new ArrayList<>()));
    SplittableRandom rng = new SplittableRandom(seed);
    List<LatencyBenchmark.Target> order = new ArrayList<>();
    for (Pair p : pairs) {
      order.add(p.compact());
      order.add(p.dense());
    }
    int k = order.size();
    long budget = budgetMillisPerPair * pairs.size();
    for (int b : batches) {
      checkArgument(b > 0, "batch sizes must be positive, got %s", b);
      List<TFloat32> inputs = new ArrayList<>();
      try {
        for (Pair p : pairs) {
          inputs.add(p.compact().randomInput(b, rng));
        }
        long warmStart = System.nanoTime();
        // warm-up: up to 20 rounds, fewer (at least 2) when they take a quarter of the budget
        for (int i = 0; i < 20 && (i < 2 || (System.nanoTime() - warmStart) / 1e6 < budget / 4.0);
            i++) {
          for (int j = 0; j < k; j++) {
            run(order.get(j), inputs.get(j / 2));
          }
        }
        long perRound = 0;
        for (int j = 0; j < k; j++) {
          perRound += run(order.get(j), inputs.get(j / 2));
        }
        int n = (int) Math.max(MIN_ROUNDS, Math.min(MAX_ROUNDS,
            budget / Math.max(1e-3, perRound / 1e6)));
        progress.accept(String.format("batch %d: %d rounds of %d runs (about %.1f s)", b, n, k,
            n * perRound / 1e9));
        double[][] ns = new double[k][n];
        long lastReport = System.nanoTime();
        for (int r = 0; r < n; r++) {
          for (int i = 0; i < k; i++) {
            int j = (r + i) % k; // the first model of a round rotates
            ns[j][r] = run(order.get(j), inputs.get(j / 2));
          }
          if (System.nanoTime() - lastReport > 10e9 && r + 1 < n) {
            progress.accept(String.format("batch %d: %d of %d rounds", b, r + 1, n));
            lastReport = System.nanoTime();
          }
        }
        for (int m = 0; m < pairs.size(); m++) {
          double[] c = ns[2 * m];
          double[] d = ns[2 * m + 1];
          double[] ratio = new double[n];
          for (int r = 0; r < n; r++) {
            ratio[r] = c[r] / d[r];
          }
          cells.get(m).add(new Cell(b, InterleavedSteps.quantile(c, 0.5) / 1e6,
              InterleavedSteps.quantile(d, 0.5) / 1e6, Spread.of(ratio), n));
        }
      } finally {
        inputs.forEach(TFloat32::close);
      }
    }
    return cells;
  }

  /** One timed inference in nanoseconds. */
  private static long run(LatencyBenchmark.Target m, TFloat32 x) {
    long t0 = System.nanoTime();
    try (Result r = m.session().runner().feed(m.input(), x).fetch(m.output()).run()) {
      r.get(0);
    }
    return System.nanoTime() - t0;
  }
}
