package org.tfprune.imports;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tfprune.testing.tf2.Tf2Fixtures;
import org.tfprune.testing.tf2.Tf2Fixtures.Damage;

/**
 * A damaged TF2 SavedModel is refused, before TensorFlow's native code reads the damage, with a
 * message naming the problem and the fix.
 */
class Tf2DamagedModelTest {
  private static void refused(Path dir, String... parts) {
    assertThatThrownBy(() -> ModelImporter.load(dir, ImportOptions.DEFAULT))
        .isInstanceOf(ImportException.class).hasMessageContainingAll(parts);
  }

  @Test
  void aFunctionMissingFromTheLibraryIsNamed(@TempDir Path tmp) {
    refused(Tf2Fixtures.damaged(tmp.resolve("m"), Damage.MISSING_FUNCTION),
        "calls function '__inference__wrapped_model_", "called by StatefulPartitionedCall",
        "the graph's function library does not hold", "export the model again");
  }

  @Test
  void aVariableAbsentFromTheBundleIsNamed(@TempDir Path tmp) {
    refused(Tf2Fixtures.damaged(tmp.resolve("m"), Damage.VARIABLE_NOT_IN_BUNDLE),
        "variables/variables.index", "lacks 1 of the 8 tensors the model restores",
        "'layer_with_weights-0/bias/.ATTRIBUTES/VARIABLE_VALUE'",
        "copy the whole SavedModel directory again or export the model again");
  }

  @Test
  void aSignatureNamingAMissingTensorIsNamed(@TempDir Path tmp) {
    refused(Tf2Fixtures.damaged(tmp.resolve("m"), Damage.SIGNATURE_NAMES_MISSING_TENSOR),
        "signature 'serving_default'", "names the tensor 'StatefulPartitionedCall_7:0'",
        "export the SavedModel again");
  }

  @Test
  void aFunctionNodeLackingAnAttributeIsNamedBeforeTensorFlowImportsTheLibrary(
      @TempDir Path tmp) {
    refused(Tf2Fixtures.damaged(tmp.resolve("m"), Damage.FUNCTION_NODE_LACKS_ATTRIBUTE),
        "node 'sequential/dense/MatMul' (MatMul)", "(function __inference__wrapped_model_",
        "lacks the attribute 'T'", "copy or export the SavedModel again");
  }

  @Test
  void aGraphDefFileWithFunctionCallsAndResourceVariablesIsSentToItsSavedModel(
      @TempDir Path tmp) throws java.io.IOException {
    Path dir = Tf2Fixtures.get(Tf2Fixtures.Net.MLP, Tf2Fixtures.Form.KERAS2);
    Path pb = tmp.resolve("model.pb");
    java.nio.file.Files.write(pb, org.tensorflow.proto.SavedModel.parseFrom(
        java.nio.file.Files.readAllBytes(dir.resolve("saved_model.pb"))).getMetaGraphs(0)
        .getGraphDef().toByteArray());
    refused(pb, "holds a graph written by Python TensorFlow 2", "StatefulPartitionedCall",
        "resource variables", "pass the directory instead");
  }

  @Test
  void aFunctionReturningANodeItDoesNotHoldIsNamed(@TempDir Path tmp) {
    refused(Tf2Fixtures.damaged(tmp.resolve("m"), Damage.RET_NAMES_MISSING_NODE),
        "function __inference__wrapped_model_", "refers to a node 'Vanished' it does not hold",
        "export the model again");
  }
}
