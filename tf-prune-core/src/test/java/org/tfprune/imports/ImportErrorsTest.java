package org.tfprune.imports;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tfprune.testing.ForeignModels;

/** Models the importer refuses: each with a message that names the problem and the fix. */
class ImportErrorsTest {
  private static void refused(Path p, ImportOptions options, String... parts) {
    var a = assertThatThrownBy(() -> ModelImporter.load(p, options))
        .isInstanceOf(ImportException.class);
    for (String part : parts) {
      a.hasMessageContaining(part);
    }
  }

  @Test
  void aTruncatedSavedModelPbIsCalledTruncatedOrCorrupt(@TempDir Path tmp) throws IOException {
    Path copy = ForeignModels.copy(ForeignModels.mlp(), tmp.resolve("m"));
    Path pb = copy.resolve("saved_model.pb");
    byte[] bytes = Files.readAllBytes(pb);
    Files.write(pb, Arrays.copyOf(bytes, bytes.length / 2 + 7));
    refused(copy, ImportOptions.DEFAULT, "saved_model.pb", "truncated or corrupt",
        "export the SavedModel again");
  }

  @Test
  void aCorruptSavedModelPbIsCalledTruncatedOrCorrupt(@TempDir Path tmp) throws IOException {
    Path copy = ForeignModels.copy(ForeignModels.mlp(), tmp.resolve("m"));
    byte[] bytes = Files.readAllBytes(copy.resolve("saved_model.pb"));
    for (int i = 0; i < bytes.length; i += 97) {
      bytes[i] = (byte) 0xff;
    }
    Files.write(copy.resolve("saved_model.pb"), bytes);
    refused(copy, ImportOptions.DEFAULT, "saved_model.pb", "truncated or corrupt");
  }

  @Test
  void aWrongTagListsTheTagsTheModelHas() {
    refused(ForeignModels.mlp(), ImportOptions.DEFAULT.withTags("gpu"), "no meta graph tagged "
        + "'gpu'", "its meta graph is tagged 'serve'", "pass --tag serve");
  }

  @Test
  void anUnknownSignatureListsTheModelsSignatures() {
    refused(ForeignModels.mlp(), ImportOptions.DEFAULT.withSignatureKey("predict"),
        "no signature 'predict'", "[classify]", "--signature");
  }

  @Test
  void missingVariableFilesAreNamedWithTheFix(@TempDir Path tmp) throws IOException {
    Path noIndex = ForeignModels.copy(ForeignModels.mlp(), tmp.resolve("a"));
    Files.delete(noIndex.resolve("variables/variables.index"));
    refused(noIndex, ImportOptions.DEFAULT, "missing its variable files",
        "variables/variables.index", "copy the whole SavedModel directory");
    Path noData = ForeignModels.copy(ForeignModels.mlp(), tmp.resolve("b"));
    Files.delete(noData.resolve("variables/variables.data-00000-of-00001"));
    refused(noData, ImportOptions.DEFAULT, "variables/variables.data-*", "dense_1/kernel");
  }

  @Test
  void aDamagedVariablesFileIsReportedByTensorFlowWithTheFix(@TempDir Path tmp)
      throws IOException {
    Path copy = ForeignModels.copy(ForeignModels.mlp(), tmp.resolve("m"));
    Files.write(copy.resolve("variables/variables.data-00000-of-00001"), new byte[10]);
    refused(copy, ImportOptions.DEFAULT, "TensorFlow could not load the SavedModel",
        "variables/ directory may be incomplete or damaged");
  }

  @Test
  void unsupportedOpsAreListedWithTheirNodesAndASuggestion(@TempDir Path tmp) {
    Path dir = tmp.resolve("tanh");
    ForeignModels.writeUnsupportedMlp(dir);
    refused(dir, ImportOptions.DEFAULT, "cannot map 2 ops", "Elu (hidden_2/Elu)",
        "Tanh (hidden_1/Tanh)", "It maps MatMul and Conv2D", "Rewrite those parts");
  }

  @Test
  void aPythonTf2SavedModelIsDetectedWithWhatIsSupportedAndHowToFreeze(@TempDir Path tmp) {
    Path dir = tmp.resolve("tf2");
    ForeignModels.writePythonTf2Like(dir);
    refused(dir, ImportOptions.DEFAULT, "Python TensorFlow 2", "StatefulPartitionedCall",
        "1 function definition", "resource variables (ReadVariableOp, VarHandleOp)",
        "TF1-style graphs as TF-Java", "frozen GraphDef", "convert_variables_to_constants_v2");
  }

  @Test
  void aMissingDirectoryOrGraphIsNamed(@TempDir Path tmp) throws IOException {
    refused(tmp.resolve("nowhere"), ImportOptions.DEFAULT, "nowhere", "does not exist");
    refused(Files.createDirectories(tmp.resolve("empty")), ImportOptions.DEFAULT,
        "holds no saved_model.pb");
    Path junk = Files.write(tmp.resolve("junk.pb"), new byte[] {1, 2, 3, 4, 5});
    refused(junk, ImportOptions.DEFAULT, "junk.pb", "cannot be parsed as a GraphDef");
  }

  @Test
  void dataOfAnotherShapeIsRefusedBeforeTheCheck() {
    float[] small = new float[10 * 100];
    assertThatThrownBy(() -> ModelImporter.load(ForeignModels.mlp(), ImportOptions.DEFAULT, small,
        10)).isInstanceOf(ImportException.class).hasMessageContaining("reads 784 values per "
        + "example").hasMessageContaining("the data gives 100");
  }
}
