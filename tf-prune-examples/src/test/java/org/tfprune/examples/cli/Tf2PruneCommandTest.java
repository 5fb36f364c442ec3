package org.tfprune.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.types.TFloat32;
import org.tfprune.examples.report.RunReport;
import org.tfprune.testing.tf2.Tf2Fixtures;
import org.tfprune.testing.tf2.Tf2Fixtures.Form;
import org.tfprune.testing.tf2.Tf2Fixtures.Net;

/**
 * {@code tf-prune prune} on SavedModels written the way Python TF2 / Keras writes them (function
 * calls, resource variables; see {@link Tf2Fixtures}): a short run on a slice of real MNIST
 * imports the model exactly, prunes it, and exports a compact model that equals the gated network
 * (tf-prune's own export check) under every signature of the original, with its keys, dtypes and
 * shapes (Keras 3's {@code serve} and {@code serving_default} both serve the one pruned network).
 */
class Tf2PruneCommandTest {
  /** The training seed: 1, or {@code TF_PRUNE_TEST_SEED}. */
  private static final String SEED = System.getenv().getOrDefault("TF_PRUNE_TEST_SEED", "1");

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
        "--latency-budget-ms", "0", "--seed", SEED, "--out", out.toString(), "--quiet");
    assertThat(r.exitCode()).as(r.err()).isZero();

    MetaGraphDef source = SavedModel.parseFrom(Files.readAllBytes(in.resolve("saved_model.pb")))
        .getMetaGraphs(0);
    MetaGraphDef pruned = SavedModel.parseFrom(Files.readAllBytes(out.resolve("saved_model.pb")))
        .getMetaGraphs(0);
    Set<String> keys = new TreeSet<>(source.getSignatureDefMap().keySet());
    keys.remove("__saved_model_init_op");
    assertThat(pruned.getSignatureDefMap().keySet()).as("every signature is kept")
        .containsExactlyInAnyOrderElementsOf(keys);
    for (String key : keys) {
      SignatureDef before = source.getSignatureDefOrThrow(key);
      SignatureDef after = pruned.getSignatureDefOrThrow(key);
      for (boolean inputs : new boolean[] {true, false}) {
        Map<String, TensorInfo> b = inputs ? before.getInputsMap() : before.getOutputsMap();
        Map<String, TensorInfo> a = inputs ? after.getInputsMap() : after.getOutputsMap();
        assertThat(a.keySet()).as(key).isEqualTo(b.keySet());
        b.forEach((k, v) -> {
          assertThat(a.get(k).getDtype()).as(key + "/" + k).isEqualTo(v.getDtype());
          assertThat(a.get(k).getTensorShape()).as(key + "/" + k).isEqualTo(v.getTensorShape());
          // the pruned signature keeps every tensor name; another keeps its outputs' names and
          // is fed where the pruned one is
          if (key.equals("serving_default") || !inputs) {
            assertThat(a.get(k).getName()).as(key + "/" + k).isEqualTo(v.getName());
          }
        });
      }
    }
    assertThat(pruned.getGraphDef().getLibrary().getFunctionCount()).isZero();

    RunReport report = RunReport.fromJson(Files.readAllBytes(out.resolve("report.json")));
    assertThat(report.imported().maxAbsDiff()).isLessThanOrEqualTo(1e-6);
    assertThat(report.imported().checkedExamples()).isEqualTo(1000);
    System.out.printf("%s %s seed %s: MACs %d -> %d, export max |diff| %.3g (bound %.3g)%n",
        net, form, SEED, report.dense().macs(), report.compact().macs(),
        report.export().maxAbsDiff(), report.export().tolerance());
    assertThat(report.compact().macs()).as("pruned").isLessThan(report.dense().macs());
    assertThat(report.export().graphMacs()).isEqualTo(report.compact().macs());
    assertThat(report.export().maxAbsDiff()).as("the export equals the gated network")
        .isLessThanOrEqualTo(1e-5).isLessThanOrEqualTo(report.export().tolerance());
    if (form == Form.KERAS3) {
      assertBothSignaturesServeTheOneNetwork(out);
    }
  }

  /** Calls serve and serving_default by key with their original keys: the same outputs. */
  private static void assertBothSignaturesServeTheOneNetwork(Path out) {
    float[] x = new float[50 * 784];
    for (int i = 0; i < x.length; i++) {
      x[i] = (i * 37 % 256) / 255f;
    }
    String in = Tf2Fixtures.inputKey(Net.MLP, Form.KERAS3);
    String outKey = Tf2Fixtures.outputKey(Net.MLP, Form.KERAS3);
    try (SavedModelBundle b = SavedModelBundle.load(out.toString(), "serve");
        TFloat32 xt = TFloat32.tensorOf(Shape.of(50, 784), DataBuffers.of(x, true, false));
        Result serve = b.function("serve").call(Map.of(in, xt));
        Result byDefault = b.function("serving_default").call(Map.of(in, xt))) {
      TFloat32 p = (TFloat32) serve.get(outKey).orElseThrow();
      TFloat32 q = (TFloat32) byDefault.get(outKey).orElseThrow();
      assertThat(p.shape().asArray()).containsExactly(50, 10);
      float[] a = new float[500];
      float[] c = new float[500];
      p.copyTo(DataBuffers.of(a, false, false));
      q.copyTo(DataBuffers.of(c, false, false));
      assertThat(a).isEqualTo(c);
      for (int i = 0; i < 50; i++) {
        double sum = 0;
        for (int k = 0; k < 10; k++) {
          sum += a[i * 10 + k];
        }
        assertThat(sum).as("probabilities").isCloseTo(1, org.assertj.core.data.Offset.offset(
            1e-5));
      }
    }
    CliRun r = CliRun.of("evaluate", "--saved-model", out.toString(), "--signature", "serve",
        "--dataset", "mnist", "--data-dir", mnist.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("signature 'serve': input keras_tensor="
        + "serving_default_keras_tensor:0; outputs output_0=StatefulPartitionedCall:0");
  }
}
