package org.tfprune.examples.bench;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The side-by-side latencies measured through TensorFlow's C API outside the JVM ({@link
 * CClient}): every pair's compact and dense SavedModels and a one-op identity graph, all timed in
 * one child process in interleaved rounds, so that a call's fixed cost in the JVM (feeding,
 * fetching, the session's bookkeeping) is told apart from the graphs' compute.
 *
 * @param rounds interleaved rounds per batch size
 * @param onednn the child's {@code TF_ENABLE_ONEDNN_OPTS}
 * @param rows one row per pair and batch size, pairs in the order given
 */
public record CClientTable(int rounds, String onednn, List<Row> rows) {
  public CClientTable {
    checkArgument(rounds > 0, "rounds must be positive, got %s", rounds);
    rows = List.copyOf(rows);
  }

  /**
   * One pair at one batch size.
   *
   * @param ratio compact / dense latency: the median of the per-round ratios
   * @param ratioP25 its 25th percentile
   * @param ratioP75 its 75th percentile
   * @param identityMs the median time of a call of the one-op identity graph
   */
  public record Row(String model, int batch, double compactMs, double denseMs, double ratio,
      double ratioP25, double ratioP75, double identityMs) {}

  /** A pair to time: its name in the table and its two SavedModels. */
  public record Pair(String name, CClient.Served compact, CClient.Served dense) {}

  /**
   * Times {@code pairs} through {@code client}, labelled {@code c<i>} and {@code d<i>}, compact
   * first, so the client's ratio of each pair is compact over dense.
   */
  public static CClientTable measure(CClient client, List<Pair> pairs, long[] exampleShape,
      int[] batches, int rounds, String onednn, long timeoutSeconds) {
    List<CClient.Served> models = new ArrayList<>();
    for (int i = 0; i < pairs.size(); i++) {
      CClient.Served c = pairs.get(i).compact();
      CClient.Served d = pairs.get(i).dense();
      models.add(new CClient.Served("c" + i, c.dir(), c.input(), c.output()));
      models.add(new CClient.Served("d" + i, d.dir(), d.input(), d.output()));
    }
    List<CClient.Line> lines = client.run(models, exampleShape, batches, rounds, true, true,
        Map.of("TF_ENABLE_ONEDNN_OPTS", onednn), timeoutSeconds);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < pairs.size(); i++) {
      for (int b : batches) {
        Map<String, CClient.Line> at = new LinkedHashMap<>();
        lines.stream().filter(l -> l.batch() == b).forEach(l -> at.put(l.label(), l));
        CClient.Line c = at.get("c" + i);
        CClient.Line d = at.get("d" + i);
        CClient.Line r = at.get("ratio" + i);
        CClient.Line id = at.get("identity");
        checkArgument(c != null && d != null && r != null && id != null, "the C client printed "
            + "no line for pair %s at batch %s", pairs.get(i).name(), b);
        rows.add(new Row(pairs.get(i).name(), b, c.median(), d.median(), r.median(), r.q25(),
            r.q75(), id.median()));
      }
    }
    return new CClientTable(rounds, onednn, rows);
  }

  /** The table as text, after the JVM's. */
  public String toText() {
    int width = Math.max(5, rows.stream().mapToInt(r -> r.model().length()).max().orElse(5));
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "Through TensorFlow's C API outside the JVM "
        + "(scripts/c-bench/tfbench.c, one child process, TF_ENABLE_ONEDNN_OPTS=%s, %d "
        + "interleaved rounds per batch size): latency compact / dense, median of the per-round "
        + "ratios (p25-p75); ms compact / dense; identity = a one-op graph, the fixed cost of a "
        + "call%n", onednn, rounds));
    s.append(String.format(Locale.ROOT, "%-" + width + "s %6s  %-21s %-21s %11s%n", "model",
        "batch", "ratio", "ms compact / dense", "identity ms"));
    for (Row r : rows) {
      s.append(String.format(Locale.ROOT, "%-" + width + "s %6d  %-21s %-21s %11.4f%n",
          r.model(), r.batch(), String.format(Locale.ROOT, "%.3f (%.3f-%.3f)", r.ratio(),
              r.ratioP25(), r.ratioP75()), String.format(Locale.ROOT, "%.3f / %.3f",
              r.compactMs(), r.denseMs()), r.identityMs()));
    }
    return s.toString();
  }
}
