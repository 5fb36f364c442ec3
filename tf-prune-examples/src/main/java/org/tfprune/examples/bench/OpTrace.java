package org.tfprune.examples.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.tensorflow.Result;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TFloat32;

/**
 * Where a serving call's time goes: traced runs ({@code FULL_TRACE}) of a model at one batch
 * size, the median time per op type (its kernels' compute time summed per run), the median time
 * from the first op's start to the last op's end, and the median wall time of untraced calls;
 * wall time minus the ops' span is the fixed cost of a call (feed, fetch, executor start).
 */
public final class OpTrace {
  /** Median per-run figures of one model at one batch size, in microseconds. */
  public record Breakdown(String label, int batch, double wallUs, double spanUs,
      Map<String, Double> opUs, Map<String, Integer> opCount) {
    public double computeUs() {
      return opUs.values().stream().mapToDouble(Double::doubleValue).sum();
    }
  }

  private OpTrace() {}

  /** Traces {@code runs} calls of {@code m} at batch {@code batch} (after untraced warm-up). */
  public static Breakdown trace(String label, LatencyBenchmark.Target m, int batch, int runs,
      long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] x = new float[batch * m.inputSize()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rng.nextDouble();
    }
    long[] shape = new long[m.exampleShape().length + 1];
    shape[0] = batch;
    System.arraycopy(m.exampleShape(), 0, shape, 1, m.exampleShape().length);
    RunOptions options = RunOptions.newBuilder()
        .setTraceLevel(RunOptions.TraceLevel.FULL_TRACE).build();
    Map<String, double[]> perType = new HashMap<>();
    Map<String, Integer> counts = new TreeMap<>();
    double[] span = new double[runs];
    double[] wall = new double[runs];
    try (TFloat32 xt = TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(x, true, false))) {
      for (int i = 0; i < 20; i++) {
        wall[0] = OpProfile.time(m, xt);
      }
      // untraced calls first: a traced call makes the untraced call after it slower
      for (int r = 0; r < runs; r++) {
        wall[r] = OpProfile.time(m, xt);
      }
      for (int r = 0; r < runs; r++) {
        try (Result res = m.session().runner().feed(m.input(), xt).fetch(m.output())
            .setOptions(options).runAndFetchMetadata()) {
          RunMetadata md = res.getMetadata().orElseThrow();
          long first = Long.MAX_VALUE;
          long last = 0;
          Map<String, Integer> runCounts = new HashMap<>();
          for (DeviceStepStats d : md.getStepStats().getDevStatsList()) {
            for (NodeExecStats n : d.getNodeStatsList()) {
              String type = OpProfile.type(n);
              perType.computeIfAbsent(type, k -> new double[runs])[r] += n.getOpEndRelMicros();
              runCounts.merge(type, 1, Integer::sum);
              first = Math.min(first, n.getAllStartMicros());
              last = Math.max(last, n.getAllStartMicros() + n.getAllEndRelMicros());
            }
          }
          counts.putAll(runCounts);
          span[r] = last - first;
        }
      }
    }
    Map<String, Double> med = new TreeMap<>();
    perType.forEach((k, v) -> med.put(k, median(v)));
    return new Breakdown(label, batch, median(wall) / 1e3, median(span), med, counts);
  }

  /** Prints breakdowns side by side: one column per model, one row per op type. */
  public static void print(List<Breakdown> rows, PrintStream out) {
    List<String> types = new ArrayList<>(rows.stream()
        .flatMap(b -> b.opUs().keySet().stream()).distinct().sorted().toList());
    StringBuilder head = new StringBuilder(String.format("%-26s", "op type (median us/call)"));
    for (Breakdown b : rows) {
      head.append(String.format(" %18s", b.label() + " b" + b.batch()));
    }
    out.println(head);
    for (String t : types) {
      StringBuilder line = new StringBuilder(String.format("%-26s", t));
      for (Breakdown b : rows) {
        Double v = b.opUs().get(t);
        line.append(v == null ? String.format(" %18s", "-")
            : String.format(" %12.1f (x%-3d)", v, b.opCount().get(t)));
      }
      out.println(line);
    }
    String[] labels = {"sum of op times", "first start..last end", "wall time of a call",
        "call - ops span (fixed)"};
    for (int i = 0; i < labels.length; i++) {
      StringBuilder line = new StringBuilder(String.format("%-26s", labels[i]));
      for (Breakdown b : rows) {
        double v = switch (i) {
          case 0 -> b.computeUs();
          case 1 -> b.spanUs();
          case 2 -> b.wallUs();
          default -> b.wallUs() - b.spanUs();
        };
        line.append(String.format(" %18.1f", v));
      }
      out.println(line);
    }
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
