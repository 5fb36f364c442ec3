package org.tfprune.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tfprune.examples.bench.BenchTable;
import org.tfprune.examples.bench.CClient;
import org.tfprune.examples.bench.CClientTable;
import org.tfprune.examples.bench.OpProfile;
import org.tfprune.examples.bench.RoundRobinLatency;
import org.tfprune.examples.report.RunReport;
import org.tfprune.testing.ForeignModels;

/**
 * {@code tf-prune bench} over several exported models in one run: two tiny exports (a
 * LeNet-300-100 and a LeNet-5, different input shapes) timed round-robin with few rounds; the
 * table and the JSON hold both models with their reports' MACs ratios and positive, finite
 * latency ratios. Bad input is refused before anything runs and nothing is written. Timings are
 * printed, never asserted.
 */
class BenchSideBySideTest {
  @TempDir
  static Path shared;

  private static Path lenet300;
  private static Path lenet5;

  /** Two short runs pressed hard enough to prune (their MACs ratios are below 1). */
  @BeforeAll
  static void exportTwoPrunedModels() {
    lenet300 = train("lenet-300-100");
    lenet5 = train("lenet-5");
  }

  private static Path train(String model) {
    Path out = shared.resolve(model);
    CliRun t = CliRun.of("train", "--model", model, "--data-dir", CliRun.mnist().toString(),
        "--train-limit", "2000", "--test-limit", "200", "--epochs", "3", "--finetune-epochs",
        "1", "--batch-size", "100", "--strength", "8", "--no-baseline", "--no-checkpoint",
        "--latency-budget-ms", "0", "--quiet", "--out", out.toString());
    assertThat(t.exitCode()).as(t.err()).isZero();
    return out;
  }

  @Test
  void benchesTwoModelsInOneRunIntoOneTableAndJson(@TempDir Path tmp) throws IOException {
    Path out = Files.createDirectories(tmp.resolve("results"));
    Path json = out.resolve("bench.json");
    Printed b = bench("--saved-model", lenet300.toString(), "--saved-model",
        lenet5.toString(), "--batches", "1,256", "--budget-ms", "1", "--json", json.toString());
    assertThat(b.run().exitCode()).as(b.run().err()).isZero();
    assertThat(TinyModel.list(out)).containsExactly("bench.json"); // no temporary file left

    BenchTable table = BenchTable.fromJson(Files.readAllBytes(json));
    assertThat(table.batches()).containsExactly(1, 256);
    assertThat(table.models()).extracting(BenchTable.Model::name)
        .containsExactly("lenet-300-100", "lenet-5");
    for (BenchTable.Model m : table.models()) {
      Path dir = Path.of(m.compact());
      RunReport report = RunReport.fromJson(Files.readAllBytes(dir.resolve("report.json")));
      assertThat(report.macsRatio()).as("pruned " + m.name()).isLessThan(1);
      assertThat(m.macsRatio()).as(m.name()).isCloseTo(report.macsRatio(),
          within(1e-9 * report.macsRatio()));
      assertThat(m.compactMacs()).as(m.name()).isEqualTo(report.export().graphMacs());
      assertThat(m.denseMacs()).as(m.name()).isEqualTo(report.dense().macs());
      assertThat(m.latency()).extracting(RoundRobinLatency.Cell::batch).containsExactly(1, 256);
      for (RoundRobinLatency.Cell c : m.latency()) {
        RoundRobinLatency.Spread r = c.ratio();
        for (double v : new double[] {r.min(), r.p25(), r.median(), r.p75(), r.max(),
            c.compactMs(), c.denseMs()}) {
          assertThat(v).as(m.name() + " batch " + c.batch()).isPositive().isFinite();
        }
        assertThat(r.min()).isLessThanOrEqualTo(r.p25());
        assertThat(r.p25()).isLessThanOrEqualTo(r.median());
        assertThat(r.median()).isLessThanOrEqualTo(r.p75());
        assertThat(r.p75()).isLessThanOrEqualTo(r.max());
        assertThat(c.rounds()).isGreaterThanOrEqualTo(RoundRobinLatency.MIN_ROUNDS);
      }
      assertThat(m.ratioOverMacsRatio()).isCloseTo(m.latency().get(1).ratio().median()
          / m.macsRatio(), within(1e-12));
    }

    String printed = b.out();
    assertThat(printed).contains("batch 1: ").contains("batch 256: ").contains("wrote " + json);
    String summary = printed.substring(printed.indexOf("Latency compact / dense"));
    for (BenchTable.Model m : table.models()) {
      // one row in the ratio table (MACs ratio first) and one in the milliseconds table
      assertThat(summary.lines().filter(l -> l.matches(m.name() + " +[0-9].*")))
          .as(summary).hasSize(2);
      assertThat(summary).containsPattern("(?m)^" + m.name() + " +"
          + String.format(java.util.Locale.ROOT, "%.4f", m.macsRatio()) + " ");
    }
  }

  @Test
  void profilesEveryModelPerOpIntoTheTableAndJson(@TempDir Path tmp) throws IOException {
    Path json = tmp.resolve("bench.json");
    Printed b = bench("--saved-model", lenet5.toString(), "--batches", "1", "--budget-ms", "1",
        "--profile", "1,8", "--json", json.toString());
    assertThat(b.run().exitCode()).as(b.run().err()).isZero();
    BenchTable table = BenchTable.fromJson(Files.readAllBytes(json));
    // per batch size: the compact model, the dense one and the identity graph
    assertThat(table.profiles()).extracting(p -> p.variant() + " " + p.batch())
        .containsExactly("compact 1", "dense 1", "identity 1", "compact 8", "dense 8",
            "identity 8");
    for (OpProfile.Profile p : table.profiles()) {
      assertThat(p.model()).isEqualTo("lenet-5");
      assertThat(p.ops().stream().mapToDouble(OpProfile.Op::share).sum()).as(p.variant())
          .isCloseTo(1.0, within(1e-9));
      assertThat(p.wallUs()).isPositive();
    }
    assertThat(table.profiles().get(1).ops()).extracting(OpProfile.Op::type)
        .anyMatch(t -> t.contains("Conv2D"));
    String printed = b.out();
    assertThat(printed).contains("Where a call's time goes, per op")
        .contains("lenet-5 compact, batch 8").contains("lenet-5 identity, batch 1")
        .contains("per type:");
    // the printed shares of one profile (ops listed one per line) add up to about 100%
    String compact = printed.substring(printed.indexOf("lenet-5 compact, batch 8"));
    compact = compact.substring(0, compact.indexOf("per type:"));
    double sum = compact.lines().filter(l -> l.matches(".* [0-9.]+%$"))
        .mapToDouble(l -> Double.parseDouble(l.replaceAll(".* ([0-9.]+)%$", "$1"))).sum();
    assertThat(sum).isCloseTo(100.0, within(1.0)); // each share is printed to 0.1%
  }

  @Test
  void theCClientTimesEveryPairOutsideTheJvmInTheSameTable(@TempDir Path tmp)
      throws IOException {
    // built from the checkout (the tests run in tf-prune-examples); a machine without a C
    // compiler skips the client, and this test with it
    java.util.Optional<CClient> client = CClient.build(Path.of("..").toAbsolutePath()
        .normalize(), 300);
    Assumptions.assumeTrue(client.isPresent(), "no C compiler: the C client is skipped");
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    BenchTable table;
    try (BenchPlan plan = BenchPlan.of(java.util.List.of(lenet300, lenet5),
        java.util.List.of())) {
      table = new SideBySideBench(new int[] {1, 32}, 1, tmp.resolve("bench.json"), new int[0],
          client.get(), 5, new PrintStream(printed, true, StandardCharsets.UTF_8)).run(plan);
    }
    // the two models take different input shapes: one child process each, one table
    CClientTable c = table.cClient();
    assertThat(c).isNotNull();
    assertThat(c.rounds()).isEqualTo(5);
    assertThat(c.rows()).extracting(CClientTable.Row::model, CClientTable.Row::batch)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("lenet-300-100", 1),
            org.assertj.core.groups.Tuple.tuple("lenet-300-100", 32),
            org.assertj.core.groups.Tuple.tuple("lenet-5", 1),
            org.assertj.core.groups.Tuple.tuple("lenet-5", 32));
    for (CClientTable.Row r : c.rows()) {
      for (double v : new double[] {r.compactMs(), r.denseMs(), r.ratio(), r.identityMs()}) {
        assertThat(v).as(r.toString()).isPositive().isFinite();
      }
      assertThat(r.ratioP25()).isLessThanOrEqualTo(r.ratio());
      assertThat(r.ratio()).isLessThanOrEqualTo(r.ratioP75());
    }
    // in the printed table and in the JSON
    assertThat(table.toText()).contains("Through TensorFlow's C API");
    assertThat(BenchTable.fromJson(Files.readAllBytes(tmp.resolve("bench.json"))).cClient())
        .isEqualTo(c);
  }

  @Test
  void timesAPruneExportAgainstTheOriginalItsReportNames(@TempDir Path tmp) throws IOException {
    Path original = ForeignModels.mlp();
    Path pruned = tmp.resolve("pruned");
    CliRun p = CliRun.of("prune", "--saved-model", original.toString(), "--data", "mnist",
        "--data-dir", CliRun.mnist().toString(), "--train-limit", "1000", "--test-limit", "200",
        "--epochs", "2", "--finetune-epochs", "0", "--batch-size", "100", "--strength", "4",
        "--latency-budget-ms", "0", "--no-checkpoint", "--quiet", "--out", pruned.toString());
    assertThat(p.exitCode()).as(p.err()).isZero();
    Path json = tmp.resolve("bench.json");
    Printed b = bench("--saved-model", pruned.toString(), "--batches", "1", "--budget-ms", "1",
        "--json", json.toString());
    assertThat(b.run().exitCode()).as(b.run().err()).isZero();
    BenchTable.Model m = BenchTable.fromJson(Files.readAllBytes(json)).models().get(0);
    RunReport report = RunReport.fromJson(Files.readAllBytes(pruned.resolve("report.json")));
    assertThat(m.dense()).isEqualTo(report.imported().source());
    assertThat(m.compactMacs()).isEqualTo(report.export().graphMacs());
    assertThat(m.denseMacs()).isEqualTo(report.dense().macs());
    assertThat(m.macsRatio()).isCloseTo(report.macsRatio(), within(1e-9));
    assertThat(m.latency().get(0).ratio().median()).isPositive().isFinite();
    assertThat(m.ratioOverMacsRatio()).isNull(); // batch 256 not timed
  }

  @Test
  void refusesADirectoryWithoutASavedModel(@TempDir Path tmp) throws IOException {
    Path json = tmp.resolve("bench.json");
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    CliRun r = CliRun.of("bench", "--saved-model", lenet300.toString(), "--pair",
        "compact=" + lenet5 + ",dense=" + empty, "--json", json.toString());
    assertThat(r.exitCode()).isEqualTo(TfPruneCli.EXIT_BAD_INPUT);
    assertThat(r.err()).contains("--pair dense=" + empty).contains("holds no saved_model.pb")
        .contains("give a SavedModel directory");
    // an export's report without its SavedModel
    Path reportOnly = Files.createDirectories(tmp.resolve("report-only"));
    Files.copy(lenet5.resolve("report.json"), reportOnly.resolve("report.json"));
    CliRun s = CliRun.of("bench", "--saved-model", lenet300.toString(),
        "--saved-model", reportOnly.toString(), "--json", json.toString());
    assertThat(s.exitCode()).isEqualTo(TfPruneCli.EXIT_BAD_INPUT);
    assertThat(s.err()).contains("--saved-model: " + reportOnly)
        .contains("holds no saved_model.pb");
    assertThat(TinyModel.list(tmp)).containsExactly("empty", "report-only");
  }

  @Test
  void refusesAPairWhoseInputShapesDiffer(@TempDir Path tmp) throws IOException {
    Path json = tmp.resolve("bench.json");
    CliRun r = CliRun.of("bench", "--pair", "compact=" + lenet300 + ",dense="
        + lenet5, "--json", json.toString());
    assertThat(r.exitCode()).isEqualTo(TfPruneCli.EXIT_BAD_INPUT);
    assertThat(r.err()).contains("input shapes differ").contains("[784]")
        .contains("[28, 28, 1]").contains("pair a compact model with the dense model it was "
            + "pruned from");
    assertThat(TinyModel.list(tmp)).isEmpty();
    CliRun s = CliRun.of("bench", "--pair", "compact=" + lenet5, "--json", json.toString());
    assertThat(s.exitCode()).isEqualTo(TfPruneCli.EXIT_BAD_INPUT);
    assertThat(s.err()).contains("needs both compact= and dense=");
  }

  /** What a run printed to System.out, where bench prints. */
  private record Printed(CliRun run, String out) {}

  private static Printed bench(String... args) {
    PrintStream saved = System.out;
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    CliRun b;
    try {
      System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
      b = CliRun.of(java.util.stream.Stream.concat(java.util.stream.Stream.of("bench"),
          java.util.Arrays.stream(args)).toArray(String[]::new));
    } finally {
      System.setOut(saved);
    }
    String out = printed.toString(StandardCharsets.UTF_8);
    System.out.print(out); // visible in the test log
    return new Printed(b, out);
  }
}
