package org.tfprune.imports;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
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
  void aTruncatedVariablesFileIsNamedWithTheVariableThatDoesNotFit(@TempDir Path tmp)
      throws IOException {
    Path copy = ForeignModels.copy(ForeignModels.mlp(), tmp.resolve("m"));
    Files.write(copy.resolve("variables/variables.data-00000-of-00001"), new byte[10]);
    refused(copy, ImportOptions.DEFAULT, "variables.data-00000-of-00001 has 10 bytes",
        "but variable '", "the file is truncated", "re-export the model");
  }

  @Test
  void anOpWithoutAGradientInsideTheNetworkIsRefusedNamingItAndItsRegion(@TempDir Path tmp) {
    Path dir = tmp.resolve("round");
    ForeignModels.writeUnsupportedMlp(dir); // its Selu would be kept fixed, its Round cannot
    refused(dir, ImportOptions.DEFAULT, "Round hidden_2/Round", "region hidden_2_Round",
        "no gradient", "cannot train the layers before it", "replace it in the model");
  }

  @Test
  void aTfPruneExportWithPrunedInputsIsNamedWithTheWayToPruneItFurther(@TempDir Path tmp) {
    Path dir = tmp.resolve("gathered");
    ForeignModels.writeInputGatherModel(dir);
    refused(dir, ImportOptions.DEFAULT, "GatherV2 (serve/Gather)",
        "a tf-prune export whose input features were pruned",
        "prune the model it was trained from");
  }

  @Test
  void aTf2SavedModelWhoseCallLacksItsArgumentTypesIsRefusedBeforeTensorFlowReadsIt(
      @TempDir Path tmp) {
    Path dir = tmp.resolve("tf2");
    ForeignModels.writePythonTf2Like(dir);
    refused(dir, ImportOptions.DEFAULT, "node 'StatefulPartitionedCall'",
        "lacks the attribute 'Tin'");
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

  /** Rewrites the first meta graph of {@code dir/saved_model.pb}. */
  static void rewrite(Path dir, java.util.function.UnaryOperator<MetaGraphDef> change)
      throws IOException {
    Path pb = dir.resolve("saved_model.pb");
    SavedModel sm = SavedModel.parseFrom(Files.readAllBytes(pb));
    Files.write(pb, sm.toBuilder().setMetaGraphs(0, change.apply(sm.getMetaGraphs(0)))
        .build().toByteArray());
  }

  /** {@code meta} with output {@code key} of signature {@code sig} renamed to {@code tensor}. */
  static MetaGraphDef withOutput(MetaGraphDef meta, String sig, String key, String tensor) {
    SignatureDef s = meta.getSignatureDefOrThrow(sig);
    TensorInfo t = s.getOutputsOrThrow(key).toBuilder().setName(tensor).build();
    return meta.toBuilder().putSignatureDef(sig, s.toBuilder().putOutputs(key, t).build())
        .build();
  }

  @Test
  void aSignatureNamingAMissingTensorIsNamedBeforeTensorFlowLoadsTheModel(@TempDir Path tmp)
      throws IOException {
    Path copy = ForeignModels.copy(ForeignModels.mlp(), tmp.resolve("m"));
    rewrite(copy, m -> withOutput(m, ForeignModels.MLP_SIGNATURE, ForeignModels.MLP_SCORES,
        "no_such_node:0"));
    refused(copy, ImportOptions.DEFAULT, "signature 'classify'", "names the tensor "
        + "'no_such_node:0'", "the graph has no node 'no_such_node'", "export the SavedModel "
        + "again");
  }

  @Test
  void aVariableAbsentFromTheVariablesIndexIsNamed(@TempDir Path tmp) throws IOException {
    Path copy = ForeignModels.copy(ForeignModels.mlp(), tmp.resolve("m"));
    rewrite(copy, m -> m.toBuilder().setGraphDef(m.getGraphDef().toBuilder().addNode(
        NodeDef.newBuilder().setName("extra/kernel").setOp("VariableV2")
            .putAttr("dtype", AttrValue.newBuilder().setType(DataType.DT_FLOAT).build())
            .putAttr("shape", AttrValue.newBuilder().setShape(TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dim.newBuilder().setSize(3))).build()))).build());
    refused(copy, ImportOptions.DEFAULT, "variable 'extra/kernel'", "is absent from",
        "variables.index", "re-export the model");
  }

  @Test
  void aVariableOfAnotherShapeInTheIndexIsNamed(@TempDir Path tmp) throws IOException {
    Path copy = ForeignModels.copy(ForeignModels.mlp(), tmp.resolve("m"));
    rewrite(copy, m -> {
      GraphDef.Builder g = m.getGraphDef().toBuilder();
      for (int i = 0; i < g.getNodeCount(); i++) {
        if (g.getNode(i).getName().equals("dense_1/bias")) {
          g.setNode(i, g.getNode(i).toBuilder().putAttr("shape", AttrValue.newBuilder()
              .setShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder()
                  .setSize(7))).build()));
        }
      }
      return m.toBuilder().setGraphDef(g).build();
    });
    refused(copy, ImportOptions.DEFAULT, "variable 'dense_1/bias' is DT_FLOAT [7]",
        "but DT_FLOAT [300]", "do not belong to this graph");
  }

  @Test
  void aNodeWithAnUnknownOpOrAMissingInputIsNamed(@TempDir Path tmp) throws IOException {
    Path op = ForeignModels.copy(ForeignModels.mlp(), tmp.resolve("op"));
    rewrite(op, m -> m.toBuilder().setGraphDef(m.getGraphDef().toBuilder().addNode(
        NodeDef.newBuilder().setName("odd").setOp("NoSuchOp"))).build());
    refused(op, ImportOptions.DEFAULT, "node 'odd'", "has the op 'NoSuchOp'", "does not know");
    Path input = ForeignModels.copy(ForeignModels.mlp(), tmp.resolve("input"));
    rewrite(input, m -> m.toBuilder().setGraphDef(m.getGraphDef().toBuilder().addNode(
        NodeDef.newBuilder().setName("reader").setOp("Identity").addInput("gone:0")
            .putAttr("T", AttrValue.newBuilder().setType(DataType.DT_FLOAT).build())))
        .build());
    refused(input, ImportOptions.DEFAULT, "node 'reader'", "reads 'gone:0'",
        "has no node 'gone'");
  }

  @Test
  void aConstantWhoseBytesDoNotFitItsShapeIsNamed(@TempDir Path tmp) throws IOException {
    Path copy = ForeignModels.copy(ForeignModels.mlp(), tmp.resolve("m"));
    rewrite(copy, m -> m.toBuilder().setGraphDef(m.getGraphDef().toBuilder().addNode(
        NodeDef.newBuilder().setName("c").setOp("Const")
            .putAttr("dtype", AttrValue.newBuilder().setType(DataType.DT_FLOAT).build())
            .putAttr("value", AttrValue.newBuilder().setTensor(TensorProto.newBuilder()
                .setDtype(DataType.DT_FLOAT).setTensorShape(TensorShapeProto.newBuilder()
                    .addDim(TensorShapeProto.Dim.newBuilder().setSize(4)))
                .setTensorContent(com.google.protobuf.ByteString.copyFrom(new byte[7])))
                .build()))).build());
    refused(copy, ImportOptions.DEFAULT, "node 'c' (Const)", "holds 7 bytes for a tensor of 4 "
        + "elements");
  }

  @Test
  void aDamagedVariablesIndexIsNamedWithTheFix(@TempDir Path tmp) throws IOException {
    Path copy = ForeignModels.copy(ForeignModels.mlp(), tmp.resolve("m"));
    Path index = copy.resolve("variables/variables.index");
    byte[] b = Files.readAllBytes(index);
    b[b.length / 3] ^= 0x10;
    Files.write(index, b);
    refused(copy, ImportOptions.DEFAULT, "variables.index is not an intact variables index",
        "checksum", "copy the whole SavedModel directory again or re-export the model");
    Files.write(index, new byte[0]);
    refused(copy, ImportOptions.DEFAULT, "variables.index is empty", "truncated");
  }

  @Test
  void aFlippedByteInTheVariablesDataFailsItsChecksum(@TempDir Path tmp) throws IOException {
    Path copy = ForeignModels.copy(ForeignModels.mlp(), tmp.resolve("m"));
    Path data = copy.resolve("variables/variables.data-00000-of-00001");
    byte[] b = Files.readAllBytes(data);
    b[b.length / 2] ^= 0x01;
    Files.write(data, b);
    refused(copy, ImportOptions.DEFAULT, "do not match their checksum", "the file is corrupt");
  }
}
