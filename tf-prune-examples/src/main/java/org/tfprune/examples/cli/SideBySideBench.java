package org.tfprune.examples.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.types.TFloat32;
import org.tfprune.examples.bench.BenchTable;
import org.tfprune.examples.bench.CClient;
import org.tfprune.examples.bench.CClientTable;
import org.tfprune.examples.bench.IdentityGraph;
import org.tfprune.examples.bench.LatencyBenchmark;
import org.tfprune.examples.bench.OpProfile;
import org.tfprune.examples.bench.RoundRobinLatency;
import org.tfprune.export.ExportException;

/**
 * {@code tf-prune bench} over several model pairs in one run: every pair's compact and dense
 * SavedModels are loaded into this JVM and timed round-robin at each batch size ({@link
 * RoundRobinLatency}); prints progress, then one summary table ({@link BenchTable}), and writes
 * the same as JSON when asked (to a temporary file moved into place). With profile batch sizes,
 * each pair's compact and dense models and an identity graph are then profiled per op ({@link
 * OpProfile}) and the profiles join the table.
 */
final class SideBySideBench {
  private final int[] batches;
  private final long budgetMs;
  private final Path json;
  private final int[] profileBatches;
  private final CClient cClient;
  private final int cRounds;
  private final PrintStream out;

  /** How long the C client may take per input shape. */
  private static final long C_TIMEOUT_SECONDS = 3600;

  /** Traced runs per model and batch size in a profile. */
  static final int PROFILE_RUNS = 30;

  /**
   * @param profileBatches the batch sizes to profile per op after the latency runs (none:
   *     empty)
   * @param cClient the C client that times every pair again outside the JVM, or null
   * @param cRounds its interleaved rounds per batch size
   */
  SideBySideBench(int[] batches, long budgetMs, Path json, int[] profileBatches,
      CClient cClient, int cRounds, PrintStream out) {
    this.batches = batches.clone();
    this.budgetMs = budgetMs;
    this.json = json;
    this.profileBatches = profileBatches.clone();
    this.cClient = cClient;
    this.cRounds = cRounds;
    this.out = out;
  }

  /**
   * Refuses a {@code --json} target that cannot be written, before any work.
   *
   * @throws ExportException naming the problem and the fix
   */
  static void checkJsonTarget(Path json) {
    Path parent = json.toAbsolutePath().normalize().getParent();
    if (Files.isDirectory(json)) {
      throw new ExportException("--json " + json + " is a directory: give a file name, e.g. "
          + json.resolve("bench.json"));
    }
    if (parent == null || !Files.isDirectory(parent)) {
      throw new ExportException("--json " + json + ": the directory " + parent + " does not "
          + "exist: create it first or write the JSON elsewhere");
    }
    if (!Files.isWritable(parent)) {
      throw new ExportException("--json " + json + ": the directory " + parent + " is not "
          + "writable: write the JSON elsewhere");
    }
  }

  /** Times every pair of {@code plan}; returns the table printed (and written). */
  BenchTable run(BenchPlan plan) throws IOException {
    List<BenchPlan.Entry> entries = plan.entries();
    out.printf("Benchmarking %d model pair%s side by side at batch sizes %s, about %d ms per "
        + "pair and batch size%n", entries.size(), entries.size() == 1 ? "" : "s",
        Arrays.toString(batches), budgetMs);
    for (BenchPlan.Entry e : entries) {
      out.printf("  %s: compact %s (%d MACs), dense %s (%d MACs), input %s%n", e.name(),
          e.compact().dir(), e.compactMacs(), e.denseOrigin(), e.denseMacs(),
          e.compact().shapeString());
    }
    List<SavedModelBundle> bundles = new ArrayList<>();
    try {
      List<RoundRobinLatency.Pair> pairs = new ArrayList<>();
      for (BenchPlan.Entry e : entries) {
        pairs.add(new RoundRobinLatency.Pair(e.name(), target(e.compact(), bundles),
            target(e.dense(), bundles)));
      }
      out.printf("loaded %d SavedModels; timing%n", bundles.size());
      List<List<RoundRobinLatency.Cell>> cells = RoundRobinLatency.measure(pairs, batches,
          budgetMs, 7, line -> out.println("  " + line));
      List<BenchTable.Model> models = new ArrayList<>();
      for (int i = 0; i < entries.size(); i++) {
        BenchPlan.Entry e = entries.get(i);
        models.add(BenchTable.Model.of(e.name(), e.compact().dir().toString(), e.denseOrigin(),
            e.compactMacs(), e.denseMacs(), cells.get(i)));
      }
      List<OpProfile.Profile> profiles = profile(pairs);
      String onednn = System.getenv().getOrDefault("TF_ENABLE_ONEDNN_OPTS", "unset");
      BenchTable table = new BenchTable(Arrays.stream(batches).boxed().toList(), budgetMs,
          onednn, models, profiles, cClient == null ? null : cTable(entries, onednn));
      out.println();
      out.print(table.toText());
      if (json != null) {
        write(table.toJson(), json);
        out.printf("%nwrote %s%n", json);
      }
      return table;
    } finally {
      for (SavedModelBundle b : bundles) {
        b.close();
      }
    }
  }

  /** Per batch size and pair: the compact model, the dense one and an identity graph. */
  private List<OpProfile.Profile> profile(List<RoundRobinLatency.Pair> pairs) {
    List<OpProfile.Profile> profiles = new ArrayList<>();
    SplittableRandom rng = new SplittableRandom(11);
    for (int b : profileBatches) {
      for (RoundRobinLatency.Pair p : pairs) {
        out.printf("  profiling %s at batch %d (%d traced runs per model)%n", p.name(), b,
            PROFILE_RUNS);
        try (TFloat32 x = p.compact().randomInput(b, rng);
            IdentityGraph identity = new IdentityGraph(p.compact().exampleShape())) {
          profiles.add(OpProfile.profile(p.name(), "compact", p.compact(), x, PROFILE_RUNS));
          profiles.add(OpProfile.profile(p.name(), "dense", p.dense(), x, PROFILE_RUNS));
          profiles.add(OpProfile.profile(p.name(), "identity", identity.target(), x,
              PROFILE_RUNS));
        }
      }
    }
    return profiles;
  }

  /**
   * Every pair timed again through the C client, in one child process per input shape (the
   * client feeds one shape), with the JVM's oneDNN setting.
   */
  private CClientTable cTable(List<BenchPlan.Entry> entries, String onednn) {
    Map<String, List<CClientTable.Pair>> byShape = new LinkedHashMap<>();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (BenchPlan.Entry e : entries) {
      String key = e.compact().shapeString();
      shapes.put(key, e.compact().exampleShape());
      byShape.computeIfAbsent(key, k -> new ArrayList<>()).add(new CClientTable.Pair(e.name(),
          served(e.compact()), served(e.dense())));
    }
    // the client runs with the JVM's setting; unset, tf-prune's launcher means 0
    String childOnednn = "unset".equals(onednn) ? "0" : onednn;
    List<CClientTable.Row> rows = new ArrayList<>();
    byShape.forEach((key, pairs) -> {
      out.printf("  C client: %d pair%s of input %s, %d rounds per batch size%n", pairs.size(),
          pairs.size() == 1 ? "" : "s", key, cRounds);
      rows.addAll(CClientTable.measure(cClient, pairs, shapes.get(key), batches, cRounds,
          childOnednn, C_TIMEOUT_SECONDS).rows());
    });
    return new CClientTable(cRounds, childOnednn, rows);
  }

  private static CClient.Served served(ServingInterface s) {
    return new CClient.Served("", s.dir(), s.input(), s.output());
  }

  private static LatencyBenchmark.Target target(ServingInterface s,
      List<SavedModelBundle> bundles) {
    SavedModelBundle b = SavedModelFiles.load(s.dir(), Set.of("serve"));
    bundles.add(b);
    return new LatencyBenchmark.Target(b.session(), s.input(), s.output(), s.exampleSize(),
        s.exampleShape());
  }

  /** Writes {@code bytes} to a temporary file beside {@code target} and moves it into place. */
  private static void write(byte[] bytes, Path target) throws IOException {
    Path abs = target.toAbsolutePath().normalize();
    Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp");
    try {
      Files.write(tmp, bytes);
      try {
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
