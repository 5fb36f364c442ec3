package org.tfprune.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tfprune.examples.report.RunReport;
import org.tfprune.testing.tf2.Tf2Fixtures;
import org.tfprune.testing.tf2.Tf2Fixtures.Form;
import org.tfprune.testing.tf2.Tf2Fixtures.Net;

/**
 * {@code tf-prune prune} on SavedModels written the way Python TF2 / Keras writes them (function
 * calls, resource variables; see {@link Tf2Fixtures}): a short run on a slice of real MNIST
 * imports the model exactly, prunes it, and exports a compact model that equals the gated network
 * (tf-prune's own export check) under the original's signature key, keys and tensor names.
 */
class Tf2PruneCommandTest {
  private static Path mnist;

  @BeforeAll
  static void locateMnist() {
    mnist = CliRun.mnist();
  }

  @org.junit.jupiter.api.Test
  void evaluateRunsTheOriginalTf2Model() {
    Path in = Tf2Fixtures.get(Net.MLP, Form.KERAS2);
    CliRun r = CliRun.of("evaluate", "--saved-model", in.toString(), "--dataset", "mnist",
        "--data-dir", mnist.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("signature 'serving_default': input "
        + "dense_input=serving_default_dense_input:0; outputs dense_2=StatefulPartitionedCall:0");
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"MLP, KERAS2", "MLP, KERAS3", "MLP, TF1_RESOURCE", "CONV, KERAS2_NESTED"})
  void aTf2ModelIsPrunedAndExportedWithItsInterface(Net net, Form form, @TempDir Path tmp)
      throws Exception {
    Path in = Tf2Fixtures.get(net, form);
    Path out = tmp.resolve("pruned");
    CliRun r = CliRun.of("prune", "--saved-model", in.toString(), "--data", "mnist",
        "--data-dir", mnist.toString(), "--train-limit", "3000", "--test-limit", "1000",
        "--epochs", "3", "--finetune-epochs", "1", "--batch-size", "100", "--strength", "8",
        "--latency-budget-ms", "0", "--out", out.toString(), "--quiet");
    assertThat(r.exitCode()).as(r.err()).isZero();

    MetaGraphDef source = SavedModel.parseFrom(Files.readAllBytes(in.resolve("saved_model.pb")))
        .getMetaGraphs(0);
    MetaGraphDef pruned = SavedModel.parseFrom(Files.readAllBytes(out.resolve("saved_model.pb")))
        .getMetaGraphs(0);
    assertThat(pruned.getSignatureDefMap().keySet()).containsExactly("serving_default");
    SignatureDef before = source.getSignatureDefOrThrow("serving_default");
    SignatureDef after = pruned.getSignatureDefOrThrow("serving_default");
    for (var e : List.of(before.getInputsMap(), before.getOutputsMap())) {
      e.forEach((k, v) -> assertThat(after.getInputsMap().containsKey(k)
          ? after.getInputsOrThrow(k).getName() : after.getOutputsOrThrow(k).getName())
          .as(k).isEqualTo(v.getName()));
    }
    assertThat(pruned.getGraphDef().getLibrary().getFunctionCount()).isZero();

    RunReport report = RunReport.fromJson(Files.readAllBytes(out.resolve("report.json")));
    assertThat(report.imported().maxAbsDiff()).isLessThanOrEqualTo(1e-6);
    assertThat(report.imported().checkedExamples()).isEqualTo(1000);
    assertThat(report.compact().macs()).as("pruned").isLessThan(report.dense().macs());
    assertThat(report.export().graphMacs()).isEqualTo(report.compact().macs());
    assertThat(report.export().maxAbsDiff()).as("the export equals the gated network")
        .isLessThanOrEqualTo(1e-5);
  }
}
