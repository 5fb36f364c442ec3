package org.tfprune.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tfprune.examples.report.RunReport;

/**
 * A training job killed mid-run (a real {@code SIGKILL} of its process) and continued with
 * {@code --resume} ends with the structure and accuracy of an uninterrupted job.
 */
class ResumeTest {
  private static Path mnist;

  @BeforeAll
  static void locateMnist() {
    mnist = CliRun.mnist();
  }

  private static List<String> job(Path out, String... extra) {
    List<String> a = new ArrayList<>(List.of("train", "--data-dir", mnist.toString(),
        "--width-multiplier", "0.25", "--train-limit", "6000", "--test-limit", "1000",
        "--epochs", "12", "--finetune-epochs", "3", "--batch-size", "100", "--strength", "2",
        "--seed", "5", "--checkpoint-every", "25", "--no-baseline", "--out", out.toString()));
    a.addAll(List.of(extra));
    return a;
  }

  @Test
  void aKilledJobResumesToTheResultOfAnUninterruptedOne(@TempDir Path tmp) throws Exception {
    Path straightOut = tmp.resolve("straight");
    CliRun straight = CliRun.of(job(straightOut, "--quiet")
        .toArray(String[]::new));
    assertThat(straight.exitCode()).as(straight.err()).isZero();
    RunReport expected = RunReport.fromJson(Files.readAllBytes(
        straightOut.resolve("report.json")));

    Path out = tmp.resolve("killed");
    Path checkpoints = tmp.resolve("killed.checkpoint");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
        "java").toString(), "-cp", System.getProperty("java.class.path"),
        TfPruneCli.class.getName()));
    cmd.addAll(job(out));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    StringBuilder seen = new StringBuilder();
    boolean killed = false;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
        StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        seen.append(line).append('\n');
        if (line.startsWith("[prune] epoch 4 ")) { // after several checkpoints
          p.destroyForcibly(); // SIGKILL: no shutdown hook, no cleanup
          killed = true;
          break;
        }
      }
    }
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(killed).as(seen.toString()).isTrue();
    assertThat(p.exitValue()).isNotZero();
    assertThat(out).doesNotExist();
    assertThat(checkpoints.resolve("prune.ckpt")).isRegularFile();

    // without --resume the saved job is not overwritten
    CliRun again = CliRun.of(job(out, "--quiet").toArray(String[]::new));
    assertThat(again.exitCode()).isEqualTo(2);
    assertThat(again.err()).contains("holds a saved run").contains("--resume");

    CliRun resumed = CliRun.of(job(out, "--quiet", "--resume")
        .toArray(String[]::new));
    assertThat(resumed.exitCode()).as(resumed.err()).isZero();
    assertThat(resumed.out()).contains("resuming from the checkpoint at epoch");
    RunReport actual = RunReport.fromJson(Files.readAllBytes(out.resolve("report.json")));
    assertThat(actual.compact().widths()).isEqualTo(expected.compact().widths());
    assertThat(actual.compact().testAccuracy()).isCloseTo(expected.compact().testAccuracy(),
        within(0.002));
    assertThat(actual.history()).hasSize(12);
    assertThat(checkpoints).doesNotExist(); // removed once the job completed
  }
}
