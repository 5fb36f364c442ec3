package org.tfprune.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tfprune.data.MnistFiles;
import org.tfprune.examples.report.RunReport;
import org.tfprune.testing.ForeignModels;

/** {@code tf-prune train} on the user's own files, and its answers to bad data. */
class UserDataCommandTest {
  static MnistFiles.Raw raw;
  @TempDir
  static Path data;

  @BeforeAll
  static void writeFiles() {
    raw = MnistFiles.raw(1200);
    MnistFiles.Raw train = new MnistFiles.Raw(Arrays.copyOf(raw.pixels(), 1000 * 784),
        Arrays.copyOf(raw.labels(), 1000));
    MnistFiles.Raw test = new MnistFiles.Raw(Arrays.copyOfRange(raw.pixels(), 1000 * 784,
        1200 * 784), Arrays.copyOfRange(raw.labels(), 1000, 1200));
    MnistFiles.writeNpz(data.resolve("mnist.npz"), false, "x_train", MnistFiles.imagesNpy(train),
        "y_train", MnistFiles.labelsNpy(train.labels()), "x_test", MnistFiles.imagesNpy(test),
        "y_test", MnistFiles.labelsNpy(test.labels()));
    MnistFiles.writeShards(data, "train", MnistFiles.pngExamples(train), 4);
    MnistFiles.writeTfRecord(data.resolve("test.tfrecord"), MnistFiles.rawExamples(test));
  }

  private static CliRun train(Path out, String... extra) {
    List<String> a = new ArrayList<>(List.of("train", "--epochs", "1", "--finetune-epochs", "0",
        "--warmup-epochs", "0", "--batch-size", "100", "--no-baseline", "--out", out.toString(),
        "--quiet"));
    a.addAll(List.of(extra));
    return CliRun.of(a.toArray(String[]::new));
  }

  @Test
  void trainsOnAnNpzWhoseTestArraysServeEvaluation(@TempDir Path tmp) throws IOException {
    Path out = tmp.resolve("run");
    CliRun r = train(out, "--data", data.resolve("mnist.npz").toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("1000 training / 200 test examples");
    RunReport report = RunReport.fromJson(Files.readAllBytes(out.resolve("report.json")));
    assertThat(report.history()).hasSize(1);

    // evaluate reads the same test arrays and reproduces the accuracy of report.json
    CliRun npz = CliRun.of("evaluate", "--saved-model", out.toString(), "--data",
        data.resolve("mnist.npz").toString());
    assertThat(npz.exitCode()).as(npz.err()).isZero();
    String accuracy = String.format(java.util.Locale.ROOT, "test accuracy %.2f%% on 200 mnist",
        100 * report.compact().testAccuracy());
    assertThat(npz.out()).contains(accuracy).contains("reproduced");
    // the same 200 examples as a TFRecord file of raw bytes: all of it is evaluated, to the
    // same accuracy; report.json was measured on other data, so it is not compared
    CliRun tfrecord = CliRun.of("evaluate", "--saved-model", out.toString(), "--data",
        data.resolve("test.tfrecord").toString(), "--input-shape", "28,28,1");
    assertThat(tfrecord.exitCode()).as(tfrecord.err()).isZero();
    assertThat(tfrecord.out()).contains(accuracy.replace("mnist", "test"))
        .contains("report.json was measured on 200 mnist examples: not compared");
    // and the last 100 of them with --eval-fraction
    CliRun half = CliRun.of("evaluate", "--saved-model", out.toString(), "--data",
        data.resolve("test.tfrecord").toString(), "--input-shape", "28,28,1",
        "--eval-fraction", "0.5");
    assertThat(half.exitCode()).as(half.err()).isZero();
    assertThat(half.out()).contains("on 100 test test examples");
  }

  @Test
  void streamsShardedTfRecordsWithSeparateEvaluationFiles(@TempDir Path tmp) {
    Path out = tmp.resolve("run");
    CliRun r = train(out, "--data", data + "/train-*.tfrecord", "--eval-data",
        data.resolve("test.tfrecord").toString(), "--stream");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("1000 training / 200 test examples")
        .contains("streamed training data: 10 batches");
  }

  @Test
  void holdsOutAFractionWhenThereIsNoEvaluationData(@TempDir Path tmp) {
    CliRun r = train(tmp.resolve("run"), "--data", data + "/train-*.tfrecord",
        "--eval-fraction", "0.2");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("800 training / 200 test examples");
  }

  @Test
  void dataWithoutEvaluationDataIsRefusedWithTheOptionsThatGiveIt(@TempDir Path tmp) {
    Path out = tmp.resolve("run");
    CliRun r = train(out, "--data", data + "/train-*.tfrecord");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("no evaluation data").contains("--eval-data")
        .contains("--eval-fraction");
    assertThat(out).doesNotExist();
  }

  @Test
  void aTruncatedTfRecordFailsBeforeTrainingNamingFileAndRecord(@TempDir Path tmp)
      throws IOException {
    Path bad = tmp.resolve("bad.tfrecord");
    byte[] good = Files.readAllBytes(data.resolve("test.tfrecord"));
    Files.write(bad, Arrays.copyOf(good, good.length - 7));
    Path out = tmp.resolve("run");
    CliRun r = train(out, "--data", bad.toString(), "--input-shape", "28,28,1",
        "--eval-fraction", "0.1");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains(bad.toString()).contains("record 199")
        .contains("write it again");
    assertThat(r.out()).doesNotContain("epoch");
    assertThat(out).doesNotExist();
  }

  @Test
  void anNpzWithoutTheNamedArraysListsTheArraysItHolds(@TempDir Path tmp) {
    CliRun r = train(tmp.resolve("run"), "--data", data.resolve("mnist.npz").toString(),
        "--image-key", "images");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("no array 'images'").contains("x_train, y_train")
        .contains("--image-key");
  }

  @Test
  void aDataFormatThatCannotBeToldAsksForDataFormat(@TempDir Path tmp) throws IOException {
    Path odd = Files.write(tmp.resolve("data.bin"), new byte[10]);
    CliRun r = train(tmp.resolve("run"), "--data", odd.toString());
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("--data-format");
  }

  @Test
  void labelsBeyondTheGivenClassesNameTheirRecord(@TempDir Path tmp) {
    CliRun r = train(tmp.resolve("run"), "--data", data.resolve("mnist.npz").toString(),
        "--num-classes", "5");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("out of range 0..4");
  }

  @Test
  void prunesAnImportedModelOnStreamedNpzData(@TempDir Path tmp) {
    Path out = tmp.resolve("pruned");
    CliRun r = CliRun.of("prune", "--saved-model", ForeignModels.mlp().toString(), "--data",
        data.resolve("mnist.npz").toString(), "--stream", "--epochs", "1", "--finetune-epochs",
        "0", "--batch-size", "100", "--out", out.toString(), "--quiet");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("1000 training / 200 test examples")
        .contains("streamed training data: 10 batches");
    assertThat(out.resolve("saved_model.pb")).isRegularFile();
  }
}
