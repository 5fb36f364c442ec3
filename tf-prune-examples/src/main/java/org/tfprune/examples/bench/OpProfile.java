package org.tfprune.examples.bench;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tensorflow.Result;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TFloat32;

/**
 * Where a serving call's time goes, op by op: {@code FULL_TRACE} runs of one model at one batch
 * size ({@code RunOptions} + {@code Session.Runner.runAndFetchMetadata()}), each op's time
 * ({@code all_end_rel_micros} of its step stats, from scheduling to the end of its kernel) as
 * the median over the traced runs, and its share of the ops' total; the same per op type; and
 * the median wall time of untraced calls. A model's shares sum to 1.
 */
public final class OpProfile {
  /** One op of the graph: its median time per call and its share of all ops' time. */
  public record Op(String name, String type, double us, double share) {}

  /** The ops of one type: how many, their summed median time and share. */
  public record Type(String type, int count, double us, double share) {}

  /**
   * The profile of one model at one batch size.
   *
   * @param model the pair's label
   * @param variant {@code compact}, {@code dense} or {@code identity} (a one-op graph fed the
   *     same input: the floor of a call)
   * @param batch the batch size
   * @param runs the traced runs
   * @param wallUs the median wall time of an untraced call, in microseconds
   * @param opsUs the sum of the ops' median times, in microseconds
   * @param ops every op that ran, slowest first
   * @param types the ops per type, slowest first
   */
  public record Profile(String model, String variant, int batch, int runs, double wallUs,
      double opsUs, List<Op> ops, List<Type> types) {
    public Profile {
      ops = List.copyOf(ops);
      types = List.copyOf(types);
    }
  }

  private OpProfile() {}

  /**
   * Profiles {@code m} fed {@code x} (its batch is {@code x}'s first dimension): 10 untraced
   * warm-up calls, {@code runs} timed untraced calls, then {@code runs} traced calls.
   */
  public static Profile profile(String model, String variant, LatencyBenchmark.Target m,
      TFloat32 x, int runs) {
    checkArgument(runs > 0, "runs must be positive, got %s", runs);
    RunOptions options = RunOptions.newBuilder()
        .setTraceLevel(RunOptions.TraceLevel.FULL_TRACE).build();
    double[] wall = new double[runs];
    for (int i = 0; i < 10; i++) {
      time(m, x);
    }
    // untraced calls first: a traced call makes the call after it slower
    for (int r = 0; r < runs; r++) {
      wall[r] = time(m, x) / 1e3;
    }
    Map<String, double[]> perOp = new LinkedHashMap<>();
    Map<String, String> typeOf = new HashMap<>();
    for (int r = 0; r < runs; r++) {
      try (Result res = m.session().runner().feed(m.input(), x).fetch(m.output())
          .setOptions(options).runAndFetchMetadata()) {
        RunMetadata md = res.getMetadata().orElseThrow(() -> new IllegalStateException(
            "a FULL_TRACE run returned no run metadata"));
        for (DeviceStepStats d : md.getStepStats().getDevStatsList()) {
          for (NodeExecStats n : d.getNodeStatsList()) {
            perOp.computeIfAbsent(n.getNodeName(), k -> new double[runs])[r] +=
                n.getAllEndRelMicros();
            typeOf.putIfAbsent(n.getNodeName(), type(n));
          }
        }
      }
    }
    Map<String, Double> med = new LinkedHashMap<>();
    perOp.forEach((k, v) -> med.put(k, median(v)));
    double total = med.values().stream().mapToDouble(Double::doubleValue).sum();
    List<Op> ops = new ArrayList<>();
    Map<String, double[]> byType = new LinkedHashMap<>(); // {count, us}
    med.forEach((name, us) -> {
      ops.add(new Op(name, typeOf.get(name), us, total > 0 ? us / total : 0));
      double[] t = byType.computeIfAbsent(typeOf.get(name), k -> new double[2]);
      t[0]++;
      t[1] += us;
    });
    ops.sort(Comparator.comparingDouble(Op::us).reversed());
    List<Type> types = new ArrayList<>();
    byType.forEach((t, v) -> types.add(new Type(t, (int) v[0], v[1], total > 0 ? v[1] / total
        : 0)));
    types.sort(Comparator.comparingDouble(Type::us).reversed());
    return new Profile(model, variant, (int) x.shape().get(0), runs, median(wall), total, ops,
        types);
  }

  /** Nanoseconds of one untraced call. */
  static long time(LatencyBenchmark.Target m, TFloat32 x) {
    long t0 = System.nanoTime();
    try (Result r = m.session().runner().feed(m.input(), x).fetch(m.output()).run()) {
      r.get(0);
    }
    return System.nanoTime() - t0;
  }

  /** The op type from a step's timeline label ({@code name = Type(inputs)}), else the name. */
  static String type(NodeExecStats n) {
    String label = n.getTimelineLabel();
    return label.contains("= ") ? label.replaceAll("(?s).*?= ([A-Za-z0-9_]+)\\(.*", "$1")
        : n.getNodeName();
  }

  /**
   * The profiles as text: per profile a line with its wall time, the ops' total and the share of
   * the call outside the ops, then its ops (name, type, median us, share), slowest first; ops
   * below half a percent are summed in one line.
   */
  public static String toText(List<Profile> profiles) {
    StringBuilder s = new StringBuilder();
    for (Profile p : profiles) {
      s.append(String.format(Locale.ROOT, "%s %s, batch %d (%d traced runs): call %.1f us "
          + "(untraced median), ops %.1f us%n", p.model(), p.variant(), p.batch(), p.runs(),
          p.wallUs(), p.opsUs()));
      s.append(String.format(Locale.ROOT, "  %-44s %-22s %10s %7s%n", "op", "type", "us",
          "share"));
      int small = 0;
      double smallUs = 0;
      double smallShare = 0;
      for (Op o : p.ops()) {
        if (o.share() < 0.005) {
          small++;
          smallUs += o.us();
          smallShare += o.share();
          continue;
        }
        s.append(String.format(Locale.ROOT, "  %-44s %-22s %10.1f %6.1f%%%n", clip(o.name()),
            o.type(), o.us(), 100 * o.share()));
      }
      if (small > 0) {
        s.append(String.format(Locale.ROOT, "  %-44s %-22s %10.1f %6.1f%%%n",
            "(" + small + " ops below 0.5% each)", "", smallUs, 100 * smallShare));
      }
      s.append("  per type:");
      for (Type t : p.types()) {
        if (t.share() >= 0.005) {
          s.append(String.format(Locale.ROOT, " %s x%d %.1f%%", t.type(), t.count(),
              100 * t.share()));
        }
      }
      s.append(String.format(Locale.ROOT, "%n%n"));
    }
    return s.toString();
  }

  private static String clip(String name) {
    return name.length() <= 44 ? name : "..." + name.substring(name.length() - 41);
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
