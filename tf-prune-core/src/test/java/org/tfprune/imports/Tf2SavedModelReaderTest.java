package org.tfprune.imports;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDefLibrary;
import org.tensorflow.proto.NodeDef;
import org.tfprune.testing.ForeignModels;
import org.tfprune.testing.Mnist;
import org.tfprune.testing.tf2.Tf2Fixtures;
import org.tfprune.testing.tf2.Tf2Fixtures.Form;
import org.tfprune.testing.tf2.Tf2Fixtures.Net;

/**
 * What the reader of TF2 SavedModels hands the mapper: one flat graph without calls or variable
 * reads, with readable node names, holding only the serving path; and where a function body's
 * named output arguments land among a node's outputs.
 */
class Tf2SavedModelReaderTest {
  private static Set<String> names(SourceModel s) {
    return s.graphDef().getNodeList().stream().map(NodeDef::getName).collect(
        Collectors.toSet());
  }

  private static Set<String> ops(SourceModel s) {
    return s.graphDef().getNodeList().stream().map(NodeDef::getOp).collect(Collectors.toSet());
  }

  @Test
  void nestedLayerFunctionsFlattenUnderTheirLayersNames() {
    try (SourceModel s = SourceModel.open(Tf2Fixtures.get(Net.CONV, Form.KERAS2_NESTED),
        ImportOptions.DEFAULT)) {
      assertThat(ops(s)).doesNotContain("StatefulPartitionedCall", "PartitionedCall",
          "ReadVariableOp",
          "VarHandleOp", "NoOp");
      assertThat(s.graphDef().getLibrary().getFunctionCount()).isZero();
      assertThat(names(s)).contains("serving_default_conv2d_input", "sequential/conv2d/Conv2D",
          "sequential/conv2d/FusedBatchNormV3", "sequential/conv2d_1/BiasAdd",
          "sequential/max_pooling2d_1/MaxPool", "sequential/dense/MatMul",
          "sequential/dense/Softmax", "StatefulPartitionedCall");
      assertThat(names(s)).contains("sequential/flatten/Reshape", "sequential/dense/Identity");
      // a name taken at an outer level moves under the full name of its call
      assertThat(names(s)).contains("Identity",
          "StatefulPartitionedCall/StatefulPartitionedCall/Identity");
      assertThat(s.graphDef().getNodeList()).filteredOn(n -> n.getOp().equals("Const")
          && n.getAttrOrThrow("dtype").getType() == DataType.DT_FLOAT).as("one per variable")
          .hasSize(9);
    }
  }

  @Test
  void onlyTheVariablesServingCapturesAreRead() {
    try (SourceModel k3 = SourceModel.open(Tf2Fixtures.get(Net.MLP, Form.KERAS3),
        ImportOptions.DEFAULT)) {
      assertThat(k3.signature().key()).isEqualTo("serving_default");
      assertThat(k3.signature().inputTensor()).isEqualTo("serving_default_keras_tensor:0");
      // the captured handles hold the weights; the other handle of each weight holds zeros
      assertThat(k3.value("sequential/dense/MatMul/ReadVariableOp").maxAbsDiff(
          new org.tfprune.slice.HostTensor(new long[] {784, 32}, new float[784 * 32])))
          .isGreaterThan(0);
      assertThat(names(k3)).noneMatch(n -> n.startsWith("serve_"));
    }
    try (SourceModel tf1 = SourceModel.open(Tf2Fixtures.get(Net.MLP, Form.TF1_RESOURCE),
        ImportOptions.DEFAULT)) {
      assertThat(names(tf1)).contains("dense/MatMul/ReadVariableOp", "dense_2/Softmax")
          .noneMatch(n -> n.startsWith("training/") || n.startsWith("save/"));
      assertThat(ops(tf1)).doesNotContain("ReadVariableOp", "VarHandleOp");
    }
  }

  @Test
  void tf1VariablesBesideResourceVariablesAreFrozenToo(@TempDir Path tmp) throws IOException {
    Path copy = ForeignModels.copy(ForeignModels.mlp(), tmp.resolve("mixed"));
    ImportErrorsTest.rewrite(copy, m -> m.toBuilder().setGraphDef(m.getGraphDef().toBuilder()
        .addNode(NodeDef.newBuilder().setName("unused_handle").setOp("VarHandleOp")
            .putAttr("dtype", AttrValue.newBuilder().setType(DataType.DT_FLOAT).build())
            .putAttr("shape", AttrValue.newBuilder().setShape(
                org.tensorflow.proto.TensorShapeProto.getDefaultInstance()).build()))).build());
    float[] x = Mnist.test(200).features(200);
    ImportedModel m = ModelImporter.load(copy, ImportOptions.DEFAULT, x, 200);
    assertThat(m.check().maxAbsDiff()).isLessThanOrEqualTo(ModelImporter.TOLERANCE);
    assertThat(m.spec().widthString()).isEqualTo("784-300-100-10");
  }

  @Test
  void listValuedOutputArgumentsTakeAsManyOutputsAsTheirAttributesSay() {
    OutputArgs args = new OutputArgs(FunctionDefLibrary.getDefaultInstance());
    AttrValue two = AttrValue.newBuilder().setI(2).build();
    AttrValue types = AttrValue.newBuilder().setList(AttrValue.ListValue.newBuilder()
        .addType(DataType.DT_INT64).addType(DataType.DT_FLOAT)).build();
    NodeDef parse = NodeDef.newBuilder().setName("p").setOp("ParseExample")
        .putAttr("Nsparse", two).putAttr("Ndense", AttrValue.newBuilder().setI(1).build())
        .putAttr("sparse_types", types).putAttr("Tdense", AttrValue.newBuilder().setList(
            AttrValue.ListValue.newBuilder().addType(DataType.DT_FLOAT)).build()).build();
    // outputs: sparse_indices (Nsparse), sparse_values (sparse_types), sparse_shapes (Nsparse),
    // dense_values (Tdense)
    assertThat(List.of(args.index(parse, "sparse_indices", 1, "t"),
        args.index(parse, "sparse_values", 0, "t"), args.index(parse, "sparse_shapes", 1, "t"),
        args.index(parse, "dense_values", 0, "t"))).containsExactly(1, 2, 5, 6);
    NodeDef bn = NodeDef.newBuilder().setName("bn").setOp("FusedBatchNormV3").build();
    assertThat(args.index(bn, "batch_variance", 0, "t")).isEqualTo(2);
  }
}
