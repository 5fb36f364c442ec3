package org.tfprune.examples.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tfprune.export.InferenceModel;

/**
 * Inference latency of two models measured side by side: runs alternate between them so that
 * machine noise hits both alike, and the median of many runs is reported per batch size.
 */
public final class LatencyBenchmark {
  /** Median latency of each model at one batch size, in milliseconds. */
  public record Row(int batch, double denseMs, double compactMs) {
    public double speedup() {
      return denseMs / compactMs;
    }
  }

  /** Something to time: a session, its input feed and its output fetch (names as "op:index"). */
  public record Target(Session session, String input, String output, int inputSize,
      long[] exampleShape) {
    /** Uniform random features in [0, 1) of {@code batch} examples, in the input's shape. */
    public TFloat32 randomInput(int batch, SplittableRandom rng) {
      float[] x = new float[batch * inputSize];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) rng.nextDouble();
      }
      long[] shape = new long[exampleShape.length + 1];
      shape[0] = batch;
      System.arraycopy(exampleShape, 0, shape, 1, exampleShape.length);
      return TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(x, true, false));
    }

    /** The serving graph of an in-memory model. */
    public static Target of(InferenceModel m) {
      long[] shape = m.spec().input().shape().stream().mapToLong(Integer::longValue).toArray();
      return new Target(m.session(), m.input().asOutput().op().name(),
          m.logits().asOutput().op().name(), m.spec().input().size(), shape);
    }
  }

  /**
   * A row with its spread: the medians of each model's run times, the median of the per-round
   * ratios dense / compact and their quartiles, over {@code rounds} interleaved rounds.
   */
  public record Measured(int batch, double denseMs, double compactMs, double ratio,
      double ratioQ25, double ratioQ75, int rounds) {
    public Row row() {
      return new Row(batch, denseMs, compactMs);
    }
  }

  /** The fewest timed rounds per batch size, whatever the budget. */
  public static final int MIN_ROUNDS = 9;

  private LatencyBenchmark() {}

  /** Compares two in-memory models. */
  public static List<Row> compare(InferenceModel dense, InferenceModel compact, int[] batches,
      long budgetMillis, long seed) {
    return compare(Target.of(dense), Target.of(compact), batches, budgetMillis, seed);
  }

  /**
   * @param budgetMillis rough time to spend per batch size (split between the two models)
   */
  public static List<Row> compare(Target dense, Target compact, int[] batches,
      long budgetMillis, long seed) {
    return measure(dense, compact, batches, budgetMillis, seed).stream().map(Measured::row)
        .toList();
  }

  /**
   * Like {@link #compare(Target, Target, int[], long, long)}, with the spread of the per-round
   * ratios: each round runs both models once, the first of the pair alternating.
   */
  public static List<Measured> measure(Target dense, Target compact, int[] batches,
      long budgetMillis, long seed) {
    List<Measured> rows = new ArrayList<>();
    SplittableRandom rng = new SplittableRandom(seed);
    for (int b : batches) {
      float[] x = new float[b * dense.inputSize()];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) rng.nextDouble();
      }
      long[] shape = shape(dense, b);
      try (TFloat32 xt = TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(x, true, false))) {
        // warm-up: 20 pairs, or fewer (at least 2) when they would take a quarter of the budget
        long warmStart = System.nanoTime();
        for (int i = 0; i < 20
            && (i < 2 || (System.nanoTime() - warmStart) / 1e6 < budgetMillis / 4.0); i++) {
          run(dense, xt);
          run(compact, xt);
        }
        double perPair = Math.max(1e-3, (run(dense, xt) + run(compact, xt)) / 1e6);
        int n = (int) Math.max(MIN_ROUNDS, Math.min(3000, budgetMillis / perPair));
        double[] d = new double[n];
        double[] c = new double[n];
        for (int i = 0; i < n; i++) {
          if (i % 2 == 0) {
            d[i] = run(dense, xt);
            c[i] = run(compact, xt);
          } else {
            c[i] = run(compact, xt);
            d[i] = run(dense, xt);
          }
        }
        double[] ratio = new double[n];
        for (int i = 0; i < n; i++) {
          ratio[i] = d[i] / c[i];
        }
        rows.add(new Measured(b, median(d) / 1e6, median(c) / 1e6, median(ratio),
            InterleavedSteps.quantile(ratio, 0.25), InterleavedSteps.quantile(ratio, 0.75), n));
      }
    }
    return rows;
  }

  private static long[] shape(Target m, int batch) {
    long[] s = new long[m.exampleShape().length + 1];
    s[0] = batch;
    System.arraycopy(m.exampleShape(), 0, s, 1, m.exampleShape().length);
    return s;
  }

  /** One timed inference in nanoseconds. */
  private static long run(Target m, TFloat32 x) {
    long t0 = System.nanoTime();
    try (Result r = m.session().runner().feed(m.input(), x).fetch(m.output()).run()) {
      r.get(0);
    }
    return System.nanoTime() - t0;
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
