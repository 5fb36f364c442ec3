package org.tfprune.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tfprune.testing.Mnist;
import org.tfprune.testing.ControlFlowModels;
import org.tfprune.testing.ControlFlowModels.Predicate;
import org.tfprune.testing.TableModels;

/**
 * {@code tf-prune inspect} and {@code prune} on TF1 models with an {@code is_training} switch
 * inside the network and with class names looked up in a hash table: what was folded or
 * rewritten is printed; a predicate computed from the data is refused with exit code 2, naming
 * the Switch, and nothing is written.
 */
class ControlFlowCommandTest {
  @TempDir Path tmp;

  @Test
  void inspectSaysWhichPredicateWasFoldedAndToWhichValue() {
    Path m = tmp.resolve("bn-cond");
    ControlFlowModels.write(m, Predicate.DEFAULT_FALSE);
    CliRun r = CliRun.of("inspect", "--saved-model", m.toString());
    assertThat(r.exitCode()).as(r.err() + r.out()).isZero();
    assertThat(r.out()).contains("control flow folded: predicate is_training = false");

    Path p = tmp.resolve("bn-placeholder");
    ControlFlowModels.write(p, Predicate.PLACEHOLDER);
    CliRun unfed = CliRun.of("inspect", "--saved-model", p.toString());
    assertThat(unfed.exitCode()).isEqualTo(TfPruneCli.EXIT_BAD_INPUT);
    assertThat(unfed.out()).contains("can be pruned: no").contains("--feed is_training=false");
    CliRun fed = CliRun.of("inspect", "--saved-model", p.toString(), "--feed",
        "is_training=false");
    assertThat(fed.exitCode()).as(fed.err() + fed.out()).isZero();
    assertThat(fed.out()).contains("control flow folded: predicate is_training = false");
  }

  @Test
  void pruneRefusesAPredicateComputedFromTheDataNamingTheSwitchAndWritesNothing() {
    Path m = tmp.resolve("bn-data");
    ControlFlowModels.write(m, Predicate.FROM_DATA);
    Path out = tmp.resolve("out");
    CliRun r = CliRun.of("prune", "--saved-model", m.toString(), "--data", "mnist",
        "--data-dir", CliRun.mnist().toString(), "--train-limit", "500", "--test-limit", "100",
        "--epochs", "1", "--out", out.toString());
    assertThat(r.exitCode()).as(r.err() + r.out()).isEqualTo(TfPruneCli.EXIT_BAD_INPUT);
    assertThat(r.err()).contains("Switch 'conv1/batch_normalization/cond/Switch_")
        .contains("computed from the data");
    assertThat(Files.exists(out)).isFalse();
  }

  @Test
  void inspectSaysAHashTableLookupIsKeptAsAConstantAndGather() {
    Path m = tmp.resolve("table");
    TableModels.write(m);
    CliRun r = CliRun.of("inspect", "--saved-model", m.toString());
    assertThat(r.exitCode()).as(r.err() + r.out()).isZero();
    assertThat(r.out()).contains("LookupTableFindV2 class_names looks up values (e.g. class "
        + "names) in a hash table filled from constants");
  }

  @Test
  void prunedModelsKeepEverySignatureAndKeyAndTheTableNamesTheirClasses() throws Exception {
    Path cond = tmp.resolve("bn-cond");
    ControlFlowModels.write(cond, Predicate.DEFAULT_FALSE);
    Path condOut = tmp.resolve("bn-cond-pruned");
    CliRun c = CliRun.of(quickPrune(cond, condOut));
    assertThat(c.exitCode()).as(c.err() + c.out()).isZero();
    assertThat(c.out()).contains("control flow folded: predicate is_training = false");
    assertSameContract(cond, condOut);

    Path table = tmp.resolve("table");
    TableModels.write(table);
    Path out = tmp.resolve("table-pruned");
    CliRun r = CliRun.of(quickPrune(table, out));
    assertThat(r.exitCode()).as(r.err() + r.out()).isZero();
    assertSameContract(table, out);
    float[] x = Mnist.test(300).features(300);
    try (SavedModelBundle b = SavedModelBundle.load(out.toString(), "serve");
        TFloat32 xt = TFloat32.tensorOf(Shape.of(300, 784), DataBuffers.of(x, true, false));
        Result served = b.function("serving_default").call(Map.of("x", xt))) {
      TInt64 classes = (TInt64) served.get("classes").orElseThrow();
      TString names = (TString) served.get("class_names").orElseThrow();
      for (int i = 0; i < 300; i++) {
        assertThat(names.getObject(i)).isEqualTo(TableModels.name(classes.getLong(i)));
      }
    }
  }

  private static String[] quickPrune(Path in, Path out) {
    return new String[] {"prune", "--saved-model", in.toString(), "--data", "mnist",
        "--data-dir", CliRun.mnist().toString(), "--train-limit", "1000", "--test-limit", "300",
        "--epochs", "2", "--finetune-epochs", "1", "--batch-size", "100", "--strength", "16",
        "--latency-budget-ms", "0", "--out", out.toString()};
  }

  /** Every signature, input and output key, dtype and output tensor name is the original's. */
  private static void assertSameContract(Path in, Path out) throws Exception {
    MetaGraphDef before = meta(in);
    MetaGraphDef after = meta(out);
    assertThat(after.getSignatureDefMap().keySet()).isEqualTo(
        before.getSignatureDefMap().keySet());
    before.getSignatureDefMap().forEach((key, b) -> {
      SignatureDef a = after.getSignatureDefOrThrow(key);
      assertThat(a.getInputsMap().keySet()).isEqualTo(b.getInputsMap().keySet());
      assertThat(a.getOutputsMap().keySet()).isEqualTo(b.getOutputsMap().keySet());
      b.getOutputsMap().forEach((k, v) -> {
        assertThat(a.getOutputsOrThrow(k).getDtype()).as(key + "/" + k).isEqualTo(v.getDtype());
        assertThat(a.getOutputsOrThrow(k).getName()).isEqualTo(v.getName());
      });
    });
  }

  private static MetaGraphDef meta(Path dir) throws Exception {
    return SavedModel.parseFrom(Files.readAllBytes(dir.resolve("saved_model.pb")))
        .getMetaGraphs(0);
  }
}
