package org.tfprune.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tfprune.examples.report.RunReport;
import org.tfprune.testing.ForeignModels;
import org.tfprune.testing.tf2.Tf2Fixtures;
import org.tfprune.testing.tf2.Tf2Fixtures.Damage;

/**
 * {@code tf-prune prune} on models another team built and saved with plain TF-Java: a short run on
 * a slice of real MNIST, and its answers to bad input, damaged TF2 SavedModels included (each a
 * clear message, exit code 2, nothing written).
 */
class PruneCommandTest {
  /** Generous for a slow machine: the child evaluates 10000 images in a few seconds. */
  private static final Duration CHILD_TIMEOUT = Duration.ofMinutes(5);

  private static Path mnist;

  @BeforeAll
  static void locateMnist() {
    mnist = CliRun.mnist();
  }

  private static String[] quickPrune(Path in, Path out, String... extra) {
    List<String> a = new ArrayList<>(List.of("prune", "--saved-model", in.toString(), "--data",
        "mnist", "--data-dir", mnist.toString(), "--train-limit", "3000", "--test-limit", "1000",
        "--epochs", "3", "--finetune-epochs", "1", "--batch-size", "100", "--strength", "4",
        "--latency-budget-ms", "0", "--out", out.toString(), "--quiet"));
    a.addAll(List.of(extra));
    return a.toArray(String[]::new);
  }

  private static SignatureDef onlySignature(Path savedModel) throws IOException {
    MetaGraphDef meta = SavedModel.parseFrom(Files.readAllBytes(
        savedModel.resolve("saved_model.pb"))).getMetaGraphs(0);
    assertThat(meta.getSignatureDefMap()).hasSize(1);
    return meta.getSignatureDefMap().values().iterator().next();
  }

  @Test
  void pruneKeepsTheInterfaceOfTheInputModelAndAFreshJvmLoadsTheResult(@TempDir Path tmp)
      throws Exception {
    Path in = ForeignModels.mlp();
    Path out = tmp.resolve("pruned");
    CliRun r = CliRun.of(quickPrune(in, out));
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("importing " + in).contains("signature 'classify'")
        .contains("original").contains("compact / original: MACs");

    // the same signature key, input and output keys and tensor names
    MetaGraphDef source = SavedModel.parseFrom(Files.readAllBytes(in.resolve("saved_model.pb")))
        .getMetaGraphs(0);
    MetaGraphDef pruned = SavedModel.parseFrom(Files.readAllBytes(out.resolve("saved_model.pb")))
        .getMetaGraphs(0);
    assertThat(pruned.getSignatureDefMap().keySet()).isEqualTo(source.getSignatureDefMap()
        .keySet()).containsExactly(ForeignModels.MLP_SIGNATURE);
    SignatureDef before = source.getSignatureDefOrThrow(ForeignModels.MLP_SIGNATURE);
    SignatureDef after = pruned.getSignatureDefOrThrow(ForeignModels.MLP_SIGNATURE);
    assertThat(after.getMethodName()).isEqualTo(before.getMethodName());
    assertThat(after.getInputsMap().keySet()).isEqualTo(before.getInputsMap().keySet());
    assertThat(after.getOutputsMap().keySet()).isEqualTo(before.getOutputsMap().keySet());
    before.getInputsMap().forEach((k, v) -> assertThat(after.getInputsOrThrow(k).getName())
        .isEqualTo(v.getName()));
    before.getOutputsMap().forEach((k, v) -> assertThat(after.getOutputsOrThrow(k).getName())
        .isEqualTo(v.getName()));
    assertThat(after.getInputsOrThrow("pixels").getTensorShape())
        .isEqualTo(before.getInputsOrThrow("pixels").getTensorShape());

    RunReport report = RunReport.fromJson(Files.readAllBytes(out.resolve("report.json")));
    assertThat(out.resolve("report.txt")).isRegularFile();
    assertThat(report.imported().maxAbsDiff()).isLessThanOrEqualTo(1e-6);
    assertThat(report.imported().checkedExamples()).isEqualTo(1000);
    assertThat(report.imported().signature()).isEqualTo(ForeignModels.MLP_SIGNATURE);
    assertThat(report.dense().widths()).isEqualTo("784-300-100-10");
    assertThat(report.dense().macs()).isEqualTo(266_200);
    assertThat(report.dense().testAccuracy()).as("the original's accuracy").isGreaterThan(0.85);
    // The export reads the kept pixels as one span (InputSpan) and counts what it computes: a
    // short run that keeps pixels near two opposite corners computes as many MACs as the dense
    // model, never more.
    assertThat(report.compact().macs()).isLessThanOrEqualTo(report.dense().macs());
    assertThat(report.export().graphMacs()).isEqualTo(report.compact().macs());
    // the summary says how many inputs the structure kept when the slice reads more
    int keptInputs = report.history().get(report.history().size() - 1).liveWidths()
        .get("input");
    int readInputs = report.compact().widthPerLayer().get("input");
    if (readInputs > keptInputs) {
      assertThat(r.out()).contains(String.format("inputs: %d of 784 kept, read as one slice of "
          + "%d", keptInputs, readInputs));
    } else {
      assertThat(r.out()).doesNotContain("read as one slice");
    }
    assertThat(report.export().maxAbsDiff()).isLessThanOrEqualTo(1e-5);
    assertThat(report.compact().testAccuracy()).isGreaterThan(0.7);
    // the export reproduces the trained network's logits within 1e-5: the same predictions,
    // but for an example whose two top logits lie within 2e-5 (2 of 1000 allowed)
    assertThat(report.compact().testAccuracy()).isCloseTo(
        report.gates().deterministicTestAccuracy(), within(2.0 / 1000));
    assertThat(siblingsOf(out)).containsExactly("pruned");

    // A fresh JVM loads it with SavedModelBundle.load(dir, "serve") and reproduces the accuracy.
    CliRun evaluated = CliRun.inChildJvm(tmp.resolve("evaluate.log"), CHILD_TIMEOUT,
        "evaluate", "--saved-model", out.toString(), "--data-dir", mnist.toString());
    String text = evaluated.out();
    assertThat(evaluated.exitCode()).as(text).isZero();
    assertThat(text).contains("signature 'classify': input pixels=images:0; outputs "
        + "logits=fc_out/BiasAdd:0, scores=scores:0").contains("reproduced")
        .contains(String.format("%.2f%%", 100 * report.compact().testAccuracy()));
  }

  @Test
  void aMacsBudgetsExportComputesTheMacsTheBudgetCounted(@TempDir Path tmp) throws Exception {
    // with --target-macs the kept pixels are selected exactly, not read as a wider slice, so the
    // graph's MACs are the kept structure's and the budget line speaks of what is served
    Path out = tmp.resolve("pruned");
    CliRun r = CliRun.of(quickPrune(ForeignModels.mlp(), out, "--target-macs", "0.5"));
    assertThat(r.exitCode()).as(r.err()).isZero();
    RunReport report = RunReport.fromJson(Files.readAllBytes(out.resolve("report.json")));
    var last = report.history().get(report.history().size() - 1);
    assertThat(report.compact().widthPerLayer().get("input"))
        .isEqualTo(last.liveWidths().get("input"));
    assertThat(report.export().graphMacs()).isEqualTo(report.compact().macs());
    assertThat((double) report.compact().macs() / report.dense().macs())
        .isCloseTo(last.macsFraction(), within(1e-9));
    assertThat(report.budget().keptMacs()).isCloseTo(last.macsFraction(), within(1e-9));
    assertThat(r.out()).doesNotContain("read as one slice");
  }

  @Test
  void anExistingOutputIsRefusedBeforeTheImportAndLeftUntouched(@TempDir Path tmp)
      throws IOException {
    Path out = Files.createDirectories(tmp.resolve("pruned"));
    Files.writeString(out.resolve("keep.txt"), "mine");
    CliRun r = CliRun.of(quickPrune(ForeignModels.mlp(), out));
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("already exists").contains("--overwrite");
    assertThat(r.out()).doesNotContain("importing");
    assertThat(Files.readString(out.resolve("keep.txt"))).isEqualTo("mine");
  }

  @Test
  void badModelsAreRefusedWithAClearMessageAndNothingIsWritten(@TempDir Path tmp)
      throws IOException {
    Path truncated = ForeignModels.copy(ForeignModels.mlp(), tmp.resolve("truncated"));
    byte[] pb = Files.readAllBytes(truncated.resolve("saved_model.pb"));
    Files.write(truncated.resolve("saved_model.pb"), Arrays.copyOf(pb, pb.length / 3));
    Path noVariables = ForeignModels.copy(ForeignModels.mlp(), tmp.resolve("novars"));
    try (Stream<Path> files = Files.list(noVariables.resolve("variables"))) {
      for (Path f : files.toList()) {
        Files.delete(f);
      }
    }
    Path selu = tmp.resolve("selu");
    ForeignModels.writeUnsupportedMlp(selu);
    Path tf2 = tmp.resolve("tf2");
    ForeignModels.writePythonTf2Like(tf2);
    Path noFunction = Tf2Fixtures.damaged(tmp.resolve("tf2-no-function"),
        Damage.MISSING_FUNCTION);
    Path noVariable = Tf2Fixtures.damaged(tmp.resolve("tf2-no-variable"),
        Damage.VARIABLE_NOT_IN_BUNDLE);
    Path noTensor = Tf2Fixtures.damaged(tmp.resolve("tf2-no-tensor"),
        Damage.SIGNATURE_NAMES_MISSING_TENSOR);
    record Case(Path model, String[] extra, String... message) {}
    List<Case> cases = List.of(
        new Case(truncated, new String[0], "saved_model.pb", "truncated or corrupt"),
        new Case(ForeignModels.mlp(), new String[] {"--tag", "train"}, "no meta graph tagged "
            + "'train'", "pass --tag serve"),
        new Case(ForeignModels.mlp(), new String[] {"--signature", "nope"}, "no signature "
            + "'nope'", "[classify]"),
        new Case(noVariables, new String[0], "missing its variable files",
            "copy the whole SavedModel directory"),
        new Case(selu, new String[0], "Round hidden_2/Round", "no gradient"),
        new Case(tf2, new String[0], "node 'StatefulPartitionedCall'",
            "lacks the attribute 'Tin'"),
        new Case(noFunction, new String[0], "calls function '__inference__wrapped_model_",
            "the graph's function library does not hold", "export the model again"),
        new Case(noVariable, new String[0], "lacks 1 of the 8 tensors the model restores",
            "'layer_with_weights-0/bias/.ATTRIBUTES/VARIABLE_VALUE'",
            "copy the whole SavedModel directory again"),
        new Case(noTensor, new String[0], "names the tensor 'StatefulPartitionedCall_7:0'",
            "export the SavedModel again"),
        new Case(tmp.resolve("missing"), new String[0], "does not exist"));
    Path outs = Files.createDirectories(tmp.resolve("outs"));
    for (Case c : cases) {
      Path out = outs.resolve(c.model().getFileName() + "-pruned");
      CliRun r = CliRun.of(quickPrune(c.model(), out, c.extra()));
      assertThat(r.exitCode()).as(c.model() + ": " + r.err()).isEqualTo(2);
      assertThat(r.err()).as(c.model().toString()).startsWith("tf-prune: error: ")
          .contains(c.message());
      assertThat(r.out()).doesNotContain("epoch");
      assertThat(out).doesNotExist();
    }
    try (Stream<Path> left = Files.list(outs)) {
      assertThat(left).isEmpty();
    }
  }

  private static List<String> siblingsOf(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir.getParent())) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
