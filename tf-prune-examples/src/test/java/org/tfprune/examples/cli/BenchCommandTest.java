package org.tfprune.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tf-prune bench} on a small trained run: both comparisons print their ratios, and bad
 * settings are refused before anything runs. Timings are printed, never asserted.
 */
class BenchCommandTest {
  @Test
  void printsLatencyAndStepTimeRatios(@TempDir Path tmp) {
    Path run = tmp.resolve("run");
    CliRun t = CliRun.of("train", "--data-dir", CliRun.mnist().toString(), "--train-limit",
        "1000", "--test-limit", "200", "--epochs", "1", "--finetune-epochs", "0",
        "--batch-size", "100", "--no-baseline", "--latency-budget-ms", "0", "--quiet", "--out",
        run.toString());
    assertThat(t.exitCode()).as(t.err()).isZero();
    PrintStream saved = System.out;
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    CliRun b;
    try {
      System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
      b = CliRun.of("bench", "--saved-model", run.toString(), "--batches", "1,4",
          "--budget-ms", "20", "--step-epochs", "2", "--step-examples", "25600");
    } finally {
      System.setOut(saved);
    }
    assertThat(b.exitCode()).as(b.err()).isZero();
    String out = printed.toString(StandardCharsets.UTF_8);
    assertThat(out).contains("MACs ratio").contains("/MACs ratio").contains("in turns of 100 steps")
        .contains("1 turns each timed").contains("/ dense =").contains("gated, no input gates");
  }

  @Test
  void timesANetworkCutToAFractionOfItsWidthsWithoutTraining() {
    PrintStream saved = System.out;
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    CliRun b;
    try {
      System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
      b = CliRun.of("bench", "--model", "lenet-300-100", "--keep-fraction", "0.5", "--batches",
          "1,4", "--budget-ms", "20", "--no-c-client", "--step-epochs", "0");
    } finally {
      System.setOut(saved);
    }
    assertThat(b.exitCode()).as(b.err()).isZero();
    // half of each hidden layer, input features and logits kept: the MACs the graph counts
    long dense = 784 * 300 + 300 * 100 + 100 * 10;
    long compact = 784 * 150 + 150 * 50 + 50 * 10;
    assertThat(printed.toString(StandardCharsets.UTF_8))
        .contains("compact 784-150-50-10: " + compact + " MACs")
        .contains("dense 784-300-100-10: " + dense + " MACs");
  }

  @Test
  void refusesStepSettingsThatTimeNothing(@TempDir Path tmp) {
    CliRun r = CliRun.of("bench", "--saved-model", tmp.toString(), "--step-epochs", "1");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("--step-epochs must be 0").contains("at least 2");
    CliRun s = CliRun.of("bench", "--saved-model", tmp.toString(), "--step-examples", "1000");
    assertThat(s.exitCode()).isEqualTo(2);
    assertThat(s.err()).contains("--step-examples must be at least 25600");
  }

  @Test
  void namesTheMissingReport(@TempDir Path tmp) {
    CliRun r = CliRun.of("bench", "--saved-model", tmp.toString(), "--step-epochs", "0");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("report.json does not exist").contains("tf-prune train");
  }
}
