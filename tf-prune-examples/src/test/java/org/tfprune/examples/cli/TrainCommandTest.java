package org.tfprune.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tfprune.examples.report.RunReport;

/**
 * The {@code tf-prune train} and {@code evaluate} commands end to end on a small slice of real
 * MNIST, and their answers to bad input.
 */
class TrainCommandTest {
  /** Generous for a slow machine: the child evaluates 10000 images in a few seconds. */
  private static final Duration CHILD_TIMEOUT = Duration.ofMinutes(5);

  private static Path mnist;

  @BeforeAll
  static void locateMnist() {
    mnist = CliRun.mnist();
  }

  private static List<String> quickTrain(Path outDir, String... extra) {
    List<String> a = new ArrayList<>(List.of("train", "--data-dir", mnist.toString(),
        "--train-limit", "3000", "--test-limit", "1000", "--epochs", "4", "--finetune-epochs",
        "1", "--batch-size", "100", "--strength", "4", "--latency-budget-ms", "0", "--out",
        outDir.toString(), "--quiet"));
    a.addAll(List.of(extra));
    return a;
  }

  @Test
  void trainWritesAVerifiedCompactSavedModelWithReportThatAFreshJvmReproduces(@TempDir Path tmp)
      throws Exception {
    Path out = tmp.resolve("run");
    CliRun r = CliRun.of(quickTrain(out).toArray(String[]::new));
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(out.resolve("saved_model.pb")).isRegularFile();
    assertThat(out.resolve("variables")).isDirectory();
    assertThat(out.resolve("report.txt")).isRegularFile();
    RunReport report = RunReport.fromJson(Files.readAllBytes(out.resolve("report.json")));
    assertThat(report.dense().macs()).isEqualTo(266_200);
    assertThat(report.compact().macs()).isLessThan(report.dense().macs());
    assertThat(report.export().graphMacs()).isEqualTo(report.compact().macs());
    assertThat(report.export().graphParams()).isEqualTo(report.compact().params());
    assertThat(report.export().maxAbsDiff()).isLessThanOrEqualTo(1e-5);
    assertThat(report.export().nodesWithDevice()).isZero();
    assertThat(report.dense().testAccuracy()).isGreaterThan(0.85);
    assertThat(report.compact().testAccuracy()).isGreaterThan(0.7);
    // The exported model reproduces the trained deterministic network's logits within 1e-5, so
    // it makes the trainer's test predictions: only an example whose two top logits lie within
    // 2e-5 could flip (none expected; 2 of the 1000 allowed).
    assertThat(report.compact().testAccuracy()).isCloseTo(
        report.gates().deterministicTestAccuracy(), within(2.0 / 1000));
    // The report's binary fraction is theta's at the end of the 3 pruning epochs; fine-tuning
    // rounds every theta to 0 or 1 (the exported network is deterministic), and the pruning
    // happens in the pruning epochs.
    assertThat(report.history().get(2).phase()).isEqualTo("prune");
    assertThat(report.gates().binaryFraction()).isEqualTo(report.history().get(2)
        .binaryFraction());
    assertThat(report.history().get(3).phase()).isEqualTo("finetune");
    assertThat(report.history().get(3).binaryFraction()).isEqualTo(1.0);
    assertThat(report.gates().epochOf90PercentPruning()).isBetween(1, 3);
    assertThat(report.latency()).extracting(l -> l.batch()).containsExactly(1, 32, 256);
    assertThat(report.history()).hasSize(4);
    assertThat(report.baselineHistory()).hasSize(4);
    assertThat(r.out()).contains("compact / dense: MACs").contains("test acc");
    assertThat(siblingsOf(out)).containsExactly("run");

    // A fresh JVM loads the SavedModel with plain TF-Java and reproduces the reported accuracy.
    CliRun evaluated = CliRun.inChildJvm(tmp.resolve("evaluate.log"), CHILD_TIMEOUT,
        "evaluate", "--saved-model", out.toString(), "--data-dir", mnist.toString());
    String text = evaluated.out();
    assertThat(evaluated.exitCode()).as(text).isZero();
    assertThat(text).contains("reproduced").contains(String.format("%.2f%%",
        100 * report.compact().testAccuracy()));
  }

  @Test
  void roundedWidthsAreMultiplesAndTheExportStaysExact(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("run");
    CliRun r = CliRun.of(quickTrain(out, "--round-widths", "8", "--no-baseline").toArray(String[]::new));
    assertThat(r.exitCode()).as(r.err()).isZero();
    RunReport report = RunReport.fromJson(Files.readAllBytes(out.resolve("report.json")));
    // a multiple of 8, or the layer's full width when rounding up would pass it
    assertThat(report.compact().widthPerLayer().get("dense0")).satisfiesAnyOf(
        w -> assertThat(w % 8).isZero(), w -> assertThat(w).isEqualTo(300));
    assertThat(report.compact().widthPerLayer().get("dense1")).satisfiesAnyOf(
        w -> assertThat(w % 8).isZero(), w -> assertThat(w).isEqualTo(100));
    assertThat(report.compact().macs()).isLessThan(report.dense().macs());
    assertThat(report.export().maxAbsDiff()).isLessThanOrEqualTo(1e-5);
    assertThat(report.export().graphMacs()).isEqualTo(report.compact().macs());
  }

  @Test
  void anExistingOutputDirectoryIsRefusedAndLeftUntouched(@TempDir Path tmp) throws IOException {
    Path out = Files.createDirectories(tmp.resolve("run"));
    Files.writeString(out.resolve("keep.txt"), "mine");
    CliRun r = CliRun.of(quickTrain(out).toArray(String[]::new));
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("already exists").contains("--overwrite");
    assertThat(Files.readString(out.resolve("keep.txt"))).isEqualTo("mine");
    assertThat(siblingsOf(out)).containsExactly("run");
  }

  @Test
  void anOutputUnderAFileIsRefusedBeforeTraining(@TempDir Path tmp) throws IOException {
    Path file = Files.writeString(tmp.resolve("plain-file"), "x");
    CliRun r = CliRun.of(quickTrain(file.resolve("run")).toArray(String[]::new));
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("cannot create the parent directory").contains("writable");
    assertThat(r.out()).doesNotContain("epoch");
  }

  @Test
  void knobsOutOfRangeAreRefusedWithTheirRangeAndNothingIsWritten(@TempDir Path tmp) {
    Path out = tmp.resolve("run");
    CliRun strength = CliRun.of(quickTrain(out, "--strength", "-1").toArray(String[]::new));
    assertThat(strength.exitCode()).isEqualTo(2);
    assertThat(strength.err()).contains("strength must be in [0, 100]").contains("-1");
    CliRun flops = CliRun.of(quickTrain(out, "--flops-share", "1.5").toArray(String[]::new));
    assertThat(flops.err()).contains("flopsShare must be in [0, 1]").contains("1.5");
    CliRun layer = CliRun.of(quickTrain(out, "--layer-share", "-0.1").toArray(String[]::new));
    assertThat(layer.err()).contains("layerShare must be in [0, 1]");
    CliRun epochs = CliRun.of(quickTrain(out, "--epochs", "0").toArray(String[]::new));
    assertThat(epochs.err()).contains("epochs must be in [1, 10000]");
    assertThat(out).doesNotExist();
    assertThat(tmp.toFile().list()).isEmpty();
  }

  @Test
  void missingDataNamesTheDirectoryAndHowToGetIt(@TempDir Path tmp) {
    CliRun r = CliRun.of("train", "--data-dir", tmp.resolve("nowhere").toString(), "--out",
        tmp.resolve("run").toString());
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("nowhere").contains("does not exist").contains("fetch-mnist.sh");
    assertThat(tmp.resolve("run")).doesNotExist();
  }

  @Test
  void aCorruptIdxFileIsReportedWithItsName(@TempDir Path tmp) throws IOException {
    Path data = Files.createDirectories(tmp.resolve("mnist"));
    for (String f : List.of("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")) {
      Files.copy(mnist.resolve(f), data.resolve(f));
    }
    byte[] labels = Files.readAllBytes(data.resolve("train-labels-idx1-ubyte"));
    Files.write(data.resolve("train-images-idx3-ubyte"), labels); // labels where images belong
    CliRun r = CliRun.of("train", "--data-dir", data.toString(), "--out", tmp.resolve("run").toString());
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("train-images-idx3-ubyte").contains("magic");
    assertThat(tmp.resolve("run")).doesNotExist();
  }

  @Test
  void anUnknownModelListsTheAvailableOnes(@TempDir Path tmp) {
    CliRun r = CliRun.of(quickTrain(tmp.resolve("run"), "--model", "resnet-9000").toArray(String[]::new));
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("unknown model 'resnet-9000'").contains("lenet-300-100");
  }

  private static List<String> siblingsOf(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir.getParent())) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
