package org.tfprune.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.tfprune.examples.report.RunReport;
import org.tfprune.testing.ForeignModels;

/**
 * Jobs killed mid-run (a real {@code SIGKILL} of their process) and continued with {@code
 * --resume} end exactly where an uninterrupted job ends: {@code train} killed while pruning, and
 * {@code prune} killed in warm-up, while pruning and while fine-tuning. A checkpoint of a job with
 * other settings is refused. Every job runs with one TensorFlow thread, so that the uninterrupted
 * and the resumed job do the same arithmetic in the same order and can be compared exactly.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ResumeTest {
  /** Generous for a slow machine: each job trains a few seconds and exports in a few more. */
  private static final Duration CHILD_TIMEOUT = Duration.ofMinutes(5);
  private static final Pattern RESUMED_AT =
      Pattern.compile("resuming from the checkpoint at epoch (\\d+), step (\\d+)");

  /** Prune job: epochs 1-3 warm-up, 4-5 pruning, 6-7 fine-tuning; 40 steps per epoch. */
  private static final int EPOCHS = 7;
  private static final int WARMUP_EPOCHS = 3;
  private static final int FINETUNE_EPOCHS = 2;

  private Path mnist;
  private Path model;
  private RunReport straightPrune;

  @BeforeAll
  void pruneOnceUninterrupted(@TempDir Path tmp) throws Exception {
    mnist = CliRun.mnist();
    model = ForeignModels.mlp();
    Path out = tmp.resolve("straight");
    CliRun straight = CliRun.of(pruneJob(out, "--quiet"));
    assertThat(straight.exitCode()).as(straight.err()).isZero();
    straightPrune = RunReport.fromJson(Files.readAllBytes(out.resolve("report.json")));
  }

  private List<String> trainJob(Path out, String... extra) {
    List<String> a = new ArrayList<>(List.of("train", "--data-dir", mnist.toString(),
        "--width-multiplier", "0.25", "--train-limit", "3000", "--test-limit", "1000",
        "--epochs", "6", "--finetune-epochs", "2", "--batch-size", "100", "--strength", "2",
        "--seed", "5", "--threads", "1", "--checkpoint-every", "7", "--no-baseline",
        "--latency-budget-ms", "0", "--out", out.toString()));
    a.addAll(List.of(extra));
    return a;
  }

  private String[] pruneJob(Path out, String... extra) {
    List<String> a = new ArrayList<>(List.of("prune", "--saved-model", model.toString(),
        "--data-dir", mnist.toString(), "--train-limit", "2000", "--test-limit", "500",
        "--epochs", String.valueOf(EPOCHS), "--warmup-epochs", String.valueOf(WARMUP_EPOCHS),
        "--finetune-epochs", String.valueOf(FINETUNE_EPOCHS), "--batch-size", "50",
        "--strength", "0.5", "--seed", "3", "--threads", "1", "--checkpoint-every", "7",
        "--latency-budget-ms", "0", "--out", out.toString()));
    a.addAll(List.of(extra));
    return a.toArray(String[]::new);
  }

  @Test
  void aKilledTrainJobResumesToTheResultOfAnUninterruptedOne(@TempDir Path tmp)
      throws Exception {
    Path straightOut = tmp.resolve("straight");
    CliRun straight = CliRun.of(trainJob(straightOut, "--quiet").toArray(String[]::new));
    assertThat(straight.exitCode()).as(straight.err()).isZero();
    RunReport expected = RunReport.fromJson(Files.readAllBytes(
        straightOut.resolve("report.json")));

    Path out = tmp.resolve("killed");
    killAtLine(tmp, trainJob(out), "[prune] epoch 2 ", out); // after several checkpoints

    // without --resume the saved job is not overwritten
    CliRun again = CliRun.of(trainJob(out, "--quiet").toArray(String[]::new));
    assertThat(again.exitCode()).isEqualTo(2);
    assertThat(again.err()).contains("holds a saved run").contains("--resume");

    CliRun resumed = CliRun.of(trainJob(out, "--quiet", "--resume").toArray(String[]::new));
    assertThat(resumed.exitCode()).as(resumed.err()).isZero();
    assertThat(resumedAtEpoch(resumed)).isBetween(2, 6);
    assertSameResult(RunReport.fromJson(Files.readAllBytes(out.resolve("report.json"))),
        expected);
    assertThat(tmp.resolve("killed.checkpoint")).doesNotExist(); // removed once complete
  }

  @Test
  void aKilledStreamedTrainJobResumesToTheResultOfAnUninterruptedOne(@TempDir Path tmp)
      throws Exception {
    // the training data read from disk in shuffled batches: the resumed stream restarts at the
    // epoch of the checkpoint and reads past the batches trained on before it
    Path straightOut = tmp.resolve("straight");
    CliRun straight = CliRun.of(trainJob(straightOut, "--quiet", "--stream")
        .toArray(String[]::new));
    assertThat(straight.exitCode()).as(straight.err()).isZero();
    assertThat(straight.out()).contains("streamed training data: 180 batches");
    RunReport expected = RunReport.fromJson(Files.readAllBytes(
        straightOut.resolve("report.json")));

    Path out = tmp.resolve("killed");
    killAtLine(tmp, trainJob(out, "--stream"), "[prune] epoch 2 ", out);
    CliRun resumed = CliRun.of(trainJob(out, "--quiet", "--resume", "--stream")
        .toArray(String[]::new));
    assertThat(resumed.exitCode()).as(resumed.err()).isZero();
    assertThat(resumedAtEpoch(resumed)).isBetween(2, 6);
    // as for data in memory: the same widths, MACs and accuracy, exactly (bit-identical weights
    // and losses within one JVM: StreamedResumeTest)
    assertSameResult(RunReport.fromJson(Files.readAllBytes(out.resolve("report.json"))),
        expected);
  }

  @Test
  void aPruneJobKilledWhilePruningResumesToTheResultOfAnUninterruptedOne(@TempDir Path tmp)
      throws Exception {
    Path out = tmp.resolve("killed");
    killAtLine(tmp, List.of(pruneJob(out)), "[prune] epoch " + (WARMUP_EPOCHS + 1) + " ", out);

    CliRun again = CliRun.of(pruneJob(out, "--quiet"));
    assertThat(again.exitCode()).isEqualTo(2);
    assertThat(again.err()).contains("holds a saved run").contains("--resume");

    resumeAndCompare(tmp, out, epoch -> epoch > WARMUP_EPOCHS);
  }

  @Test
  void aPruneJobKilledInWarmUpResumesToTheResultOfAnUninterruptedOne(@TempDir Path tmp)
      throws Exception {
    Path out = tmp.resolve("killed");
    // The job has two epochs of warm-up to go after this line: the last checkpoint before the
    // kill is in warm-up unless the kill lags by more than that.
    killAtLine(tmp, List.of(pruneJob(out)), "[prune] epoch 1 ", out);
    resumeAndCompare(tmp, out, epoch -> epoch <= WARMUP_EPOCHS);
  }

  @Test
  void aPruneJobKilledWhileFineTuningResumesToTheResultOfAnUninterruptedOne(@TempDir Path tmp)
      throws Exception {
    Path out = tmp.resolve("killed");
    // after the first fine-tuning epoch: one more epoch and the export to go
    killAtLine(tmp, List.of(pruneJob(out)), "[prune] epoch " + (EPOCHS - FINETUNE_EPOCHS + 1)
        + " finetune", out);
    resumeAndCompare(tmp, out, epoch -> epoch > EPOCHS - FINETUNE_EPOCHS);
  }

  @Test
  void aCheckpointOfAJobWithOtherSettingsIsRefusedAndKept(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("killed");
    killAtLine(tmp, List.of(pruneJob(out)), "[prune] epoch 1 ", out);
    Path checkpoint = tmp.resolve("killed.checkpoint").resolve("prune.ckpt");
    byte[] saved = Files.readAllBytes(checkpoint);

    CliRun strength = CliRun.of(pruneJob(out, "--quiet", "--resume", "--strength", "2"));
    assertThat(strength.exitCode()).isEqualTo(2);
    assertThat(strength.err()).startsWith("tf-prune: error: ").contains(checkpoint.toString())
        .contains("belongs to another run").contains("strength 0.5").contains("strength 2.0")
        .contains("delete the checkpoint");
    // a setting the summary does not show
    CliRun lr = CliRun.of(pruneJob(out, "--quiet", "--resume", "--lr", "2e-3"));
    assertThat(lr.exitCode()).isEqualTo(2);
    assertThat(lr.err()).contains("belongs to another run").contains("with other settings");
    CliRun data = CliRun.of(pruneJob(out, "--quiet", "--resume", "--train-limit", "1000"));
    assertThat(data.exitCode()).isEqualTo(2);
    assertThat(data.err()).contains("belongs to another run").contains("2000 training examples")
        .contains("1000 training examples");
    assertThat(out).doesNotExist();
    assertThat(Files.readAllBytes(checkpoint)).isEqualTo(saved);
  }

  /**
   * Runs {@code args} in a child JVM, {@code SIGKILL}s it as soon as it prints a line starting
   * with {@code prefix}, and checks that it left a checkpoint and no output.
   */
  private static void killAtLine(Path tmp, List<String> args, String prefix, Path out)
      throws Exception {
    Path log = tmp.resolve("killed.log");
    Process p = CliRun.startChildJvm(log, args);
    boolean seen = CliRun.awaitLine(p, log, l -> l.startsWith(prefix), CHILD_TIMEOUT);
    CliRun.kill(p);
    String printed = Files.readString(log);
    assertThat(seen).as("the job exited before printing '%s':%n%s", prefix, printed).isTrue();
    assertThat(p.exitValue()).as(printed).isNotZero();
    assertThat(out).doesNotExist();
    assertThat(out.resolveSibling(out.getFileName() + ".checkpoint").resolve("prune.ckpt"))
        .isRegularFile();
  }

  private void resumeAndCompare(Path tmp, Path out, IntPredicate expectedPhase)
      throws Exception {
    CliRun resumed = CliRun.of(pruneJob(out, "--quiet", "--resume"));
    assertThat(resumed.exitCode()).as(resumed.err()).isZero();
    int epoch = resumedAtEpoch(resumed);
    assertThat(expectedPhase.test(epoch)).as("resumed at epoch %s", epoch).isTrue();
    assertSameResult(RunReport.fromJson(Files.readAllBytes(out.resolve("report.json"))),
        straightPrune);
    assertThat(tmp.resolve("killed.checkpoint")).doesNotExist();
  }

  private static int resumedAtEpoch(CliRun resumed) {
    Matcher m = RESUMED_AT.matcher(resumed.out());
    assertThat(m.find()).as(resumed.out()).isTrue();
    return Integer.parseInt(m.group(1));
  }

  /**
   * The same structure, MACs and accuracy, exactly: gate draws come from (seed, step, group), the
   * data order from (seed, epoch), the checkpoint holds every variable and optimizer slot, and
   * one TensorFlow thread sums in a fixed order.
   */
  private static void assertSameResult(RunReport actual, RunReport expected) {
    assertThat(actual.compact().widthPerLayer()).isEqualTo(expected.compact().widthPerLayer());
    assertThat(actual.compact().macs()).isEqualTo(expected.compact().macs());
    assertThat(actual.compact().testAccuracy()).isEqualTo(expected.compact().testAccuracy());
    assertThat(actual.gates().binaryFraction()).isEqualTo(expected.gates().binaryFraction());
    assertThat(actual.history()).hasSize(expected.history().size());
  }
}
