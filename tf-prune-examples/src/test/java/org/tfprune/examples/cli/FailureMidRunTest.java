package org.tfprune.examples.cli;

import org.tfprune.testing.Mounts;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs of {@code tf-prune train} and {@code prune} that fail after their input was accepted: the
 * training diverges, the disk fills up while a checkpoint or the SavedModel is written, the
 * output's file system turns read-only during the run. Each exits
 * with code 3 and a message naming the cause and the fix, and leaves neither the output directory
 * nor a partial checkpoint behind; the process exit codes of {@code main} are checked in a child
 * JVM. Also {@code evaluate}'s exit code 1 when a model no longer reproduces its report. What the
 * tests observe is the second table of {@code docs/bad-input.md}.
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FailureMidRunTest {
  private static final BadInputTable TABLE = new BadInputTable("FailureMidRunTest");
  private static final int RUN_FAILED = TfPruneCli.EXIT_RUN_FAILED;

  @TempDir
  static Path tmp;

  @BeforeAll
  static void trainATinyModel() {
    TABLE.show(TinyModel.root(), "").show(tmp, "");
  }

  @AfterAll
  static void documentedTableMatchesWhatWasObserved() throws IOException {
    TABLE.finish();
  }

  private static List<String> train(Path out, String... extra) {
    List<String> a = new ArrayList<>(List.of("train", "--data-dir", TinyModel.data().toString(),
        "--epochs", "2", "--finetune-epochs", "0", "--batch-size", "50", "--no-baseline",
        "--quiet", "--out", out.toString()));
    a.addAll(List.of(extra));
    return a;
  }

  private static List<String> prune(Path out, String... extra) {
    List<String> a = new ArrayList<>(List.of("prune", "--saved-model",
        TinyModel.model().toString(), "--data-dir", TinyModel.data().toString(), "--epochs", "2",
        "--finetune-epochs", "0", "--batch-size", "50", "--quiet", "--out", out.toString()));
    a.addAll(List.of(extra));
    return a;
  }

  /**
   * An absurd learning rate makes the objective NaN within the first steps; the output's parent
   * directory, created by the run, goes too.
   */
  @Test
  void aDivergingTrainingExitsWith3AndLeavesNoOutputAndNoCheckpoint() throws IOException {
    List<String> fragments = List.of("objective became NaN", "lower the weight learning rate",
        "Nothing was written");
    Path out = tmp.resolve("new-parent/diverged");
    CliRun t = TABLE.check("training diverges (learning rate 1e30)", RUN_FAILED, fragments,
        train(out, "--lr", "1e30").toArray(String[]::new));
    assertThat(t.out()).contains("training lenet-300-100");
    Path pruned = tmp.resolve("diverged-pruned");
    TABLE.check("training diverges (learning rate 1e30)", RUN_FAILED, fragments,
        prune(pruned, "--lr", "1e30").toArray(String[]::new));
    assertThat(out).doesNotExist();
    assertThat(pruned).doesNotExist();
    // the checkpoint directories the runs created held no complete checkpoint: removed
    assertThat(tmp.resolve("new-parent/diverged.checkpoint")).doesNotExist();
    assertThat(tmp.resolve("diverged-pruned.checkpoint")).doesNotExist();
    // and so was the directory created for the output
    assertThat(tmp.resolve("new-parent")).doesNotExist();
  }

  /**
   * A full disk: a 256 KiB tmpfs (as root) cannot hold LeNet-300-100's 1 MiB of weights. Without
   * checkpoints the SavedModel's export fails; with them the first checkpoint does. Either way
   * the file system is left empty.
   */
  @Test
  void aFullDiskExitsWith3AndLeavesTheFileSystemEmpty() throws IOException {
    Path disk = Files.createDirectories(tmp.resolve("full-disk"));
    Assumptions.assumeTrue(Mounts.tmpfs(disk, "256k"), () -> "needs a small tmpfs (as root): "
        + Mounts.lastFailure);
    try {
      Path out = disk.resolve("run");
      TABLE.check("disk full while the SavedModel is written", RUN_FAILED,
          List.of("the disk is full", "could not write the SavedModel", "disk has space",
              "nothing was written"),
          train(out, "--no-checkpoint").toArray(String[]::new));
      assertThat(TinyModel.list(disk)).isEmpty();
      TABLE.check("disk full while the SavedModel is written", RUN_FAILED,
          List.of("the disk is full", "could not write the SavedModel", "disk has space",
              "nothing was written"),
          prune(out, "--no-checkpoint").toArray(String[]::new));
      assertThat(TinyModel.list(disk)).isEmpty();
      TABLE.check("disk full while a checkpoint is written", RUN_FAILED,
          List.of("the disk is full", "cannot write checkpoint", "disk has space",
              "Nothing was written"),
          train(out).toArray(String[]::new));
      assertThat(TinyModel.list(disk)).isEmpty();
    } finally {
      assertThat(Mounts.unmount(disk)).as(Mounts.lastFailure).isTrue();
    }
  }

  /**
   * An I/O error after the checks passed: the output's file system turns read-only (a tmpfs
   * remounted as the training starts, as root) before the SavedModel is written.
   */
  @Test
  void anOutputThatTurnsReadOnlyDuringTheRunExitsWith3AndNothingIsWritten() throws IOException {
    Path disk = Files.createDirectories(tmp.resolve("turns-read-only"));
    Assumptions.assumeTrue(Mounts.tmpfs(disk, "4m"), () -> "needs a tmpfs (as root): "
        + Mounts.lastFailure);
    try {
      Path out = disk.resolve("run");
      String[] args = train(out, "--no-checkpoint").toArray(String[]::new);
      java.io.StringWriter err = new java.io.StringWriter();
      boolean[] remounted = {false};
      // when the run announces its training, the checks are behind it: make the disk read-only
      java.io.PrintWriter console = new java.io.PrintWriter(new java.io.StringWriter(), true) {
        private final StringBuilder seen = new StringBuilder();

        @Override
        public void write(String s, int off, int len) {
          super.write(s, off, len);
          seen.append(s, off, off + len);
          if (!remounted[0] && seen.indexOf("training lenet-300-100") >= 0) {
            remounted[0] = Mounts.readOnly(disk);
          }
        }
      };
      int code = TfPruneCli.execute(console, new java.io.PrintWriter(err, true), args);
      assertThat(remounted[0]).as(Mounts.lastFailure).isTrue();
      assertThat(code).as(err.toString()).isEqualTo(RUN_FAILED);
      String message = BadInputTable.message(err.toString());
      // the export checks the directory again before it writes
      List<String> fragments = List.of("not writable", "writable output directory",
          "Nothing was written");
      for (String f : fragments) {
        assertThat(message).contains(f);
      }
      TABLE.record("output turns read-only during the run", "tf-prune " + String.join(" ", args),
          code, message, fragments);
      assertThat(TinyModel.list(disk)).isEmpty();
    } finally {
      assertThat(Mounts.unmount(disk)).as(Mounts.lastFailure).isTrue();
    }
  }

  /** {@code evaluate} exits with 1 when the model's accuracy is not the one its report gives. */
  @Test
  void evaluateExitsWith1WhenTheReportedAccuracyIsNotReproduced() throws IOException {
    Path model = TinyModel.copyTree(TinyModel.model(), tmp.resolve("edited-report"));
    ObjectMapper json = new ObjectMapper();
    ObjectNode report = (ObjectNode) json.readTree(model.resolve("report.json").toFile());
    double accuracy = report.path("compact").path("testAccuracy").asDouble();
    ((ObjectNode) report.path("compact")).put("testAccuracy", accuracy / 2);
    json.writeValue(model.resolve("report.json").toFile(), report);
    CliRun r = CliRun.of("evaluate", "--saved-model", model.toString(), "--data-dir",
        TinyModel.data().toString());
    assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
    assertThat(r.out()).contains(String.format("test accuracy %.2f%%", 100 * accuracy))
        .contains(String.format("report.json says %.2f%%: DIFFERENT", 50 * accuracy));
    TABLE.record("evaluate: accuracy differs from report.json", "tf-prune evaluate --saved-model "
        + model + " --data-dir " + TinyModel.data(), 1, r.out().lines().filter(l -> l.startsWith("report.json")).findFirst()
        .orElseThrow() + " (printed on standard output)", List.of("DIFFERENT"));
  }

  /**
   * {@code main} (the {@code bin/tf-prune} entry point) exits the process with the same codes: 2
   * for a damaged model, refused without a native crash, and 3 for a diverging run.
   */
  @Test
  void theProcessExitCodesAre2ForBadInputAnd3ForAFailedRun() throws Exception {
    Path damaged = TinyModel.copyTree(TinyModel.model(), tmp.resolve("child-damaged"));
    byte[] pb = Files.readAllBytes(damaged.resolve("saved_model.pb"));
    Files.write(damaged.resolve("saved_model.pb"), java.util.Arrays.copyOf(pb, pb.length / 2));
    Child bad = child(List.of("evaluate", "--saved-model", damaged.toString(), "--data-dir",
        TinyModel.data().toString()));
    assertThat(bad.exitCode()).as(bad.output()).isEqualTo(TfPruneCli.EXIT_BAD_INPUT);
    assertThat(bad.output()).contains("saved_model.pb cannot be parsed");

    Path out = tmp.resolve("child-diverged");
    Child failed = child(train(out, "--lr", "1e30"));
    assertThat(failed.exitCode()).as(failed.output()).isEqualTo(RUN_FAILED);
    assertThat(failed.output()).contains("objective became NaN");
    assertThat(out).doesNotExist();
  }

  private record Child(int exitCode, String output) {}

  /** Runs {@code tf-prune args} in a child JVM, killed after 5 minutes. */
  private static Child child(List<String> args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
        "java").toString(), "-Xmx1g", "-cp", System.getProperty("java.class.path"),
        TfPruneCli.class.getName()));
    cmd.addAll(args);
    Path log = Files.createTempFile(tmp, "child", ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
        .start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      throw new AssertionError("tf-prune " + args + " did not finish within 5 minutes:\n"
          + Files.readString(log, StandardCharsets.UTF_8));
    }
    return new Child(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }
}
