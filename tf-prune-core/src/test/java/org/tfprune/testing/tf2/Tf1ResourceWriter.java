package org.tfprune.testing.tf2;

import static org.tfprune.testing.tf2.OpWriter.F32;
import static org.tfprune.testing.tf2.OpWriter.shapeAttr;
import static org.tfprune.testing.tf2.OpWriter.str;
import static org.tfprune.testing.tf2.OpWriter.strings;
import static org.tfprune.testing.tf2.OpWriter.type;
import static org.tfprune.testing.tf2.OpWriter.types;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.VersionDef;

/**
 * Writes the SavedModel Keras on TF 1.15 writes: one flat graph whose variables are resource
 * variables ({@code VarHandleOp}, {@code ReadVariableOp}), holding the network twice (the serving
 * copy and a training copy the signature does not reach) and an optimizer slot, with a TF1 saver
 * ({@code save/RestoreV2}, {@code save/AssignVariableOp_k}, {@code save/restore_all}).
 */
final class Tf1ResourceWriter {
  private Tf1ResourceWriter() {}

  static void write(Path dir, FixtureNet net, String inputKey, String outputKey) {
    OpWriter w = new OpWriter(false);
    long[] in = Tf2Writer.batchShape(net.inputShape());
    w.add(w.node(inputKey, "Placeholder").putAttr("dtype", F32).putAttr("shape", shapeAttr(in)),
        "output");
    List<String> handles = new ArrayList<>();
    List<long[]> shapes = new ArrayList<>();
    List<float[]> values = new ArrayList<>();
    for (FixtureNet.Var v : net.vars()) {
      handles.add(v.name());
      shapes.add(v.shape());
      values.add(v.value());
    }
    FixtureNet.Var first = net.vars().get(0);
    handles.add("training/Adam/" + first.name() + "/m");
    shapes.add(first.shape());
    values.add(new float[first.value().length]);
    for (int i = 0; i < handles.size(); i++) {
      w.add(w.node(handles.get(i), "VarHandleOp").putAttr("dtype", F32)
          .putAttr("shape", shapeAttr(shapes.get(i))).putAttr("shared_name", str(handles.get(i)))
          .putAttr("container", str("")), "resource");
      w.read(handles.get(i) + "/Read/ReadVariableOp", handles.get(i));
    }
    String out = null;
    for (String copy : List.of("", "training/")) {
      String x = inputKey + ":0";
      int v = 0;
      for (int i = 0; i < net.layers().size(); i++) {
        int n = net.varsOf(i).size();
        x = net.emit(w, i, copy + net.layers().get(i).scope() + "/", x, handles.subList(v,
            v + n));
        v += n;
      }
      out = out == null ? x : out;
    }
    int count = handles.size();
    w.add(w.node("save/Const", "Const").putAttr("dtype", type(DataType.DT_STRING))
        .putAttr("value", strings(List.of("model"), true)), "output");
    for (String op : List.of("SaveV2", "RestoreV2")) {
      w.add(w.node("save/" + op + "/tensor_names", "Const").putAttr("dtype",
          type(DataType.DT_STRING)).putAttr("value", strings(handles, false)), "output");
      w.add(w.node("save/" + op + "/shape_and_slices", "Const").putAttr("dtype",
          type(DataType.DT_STRING)).putAttr("value", strings(Collections.nCopies(count, ""),
          false)), "output");
    }
    NodeDef.Builder save = w.node("save/SaveV2", "SaveV2", "save/Const",
        "save/SaveV2/tensor_names", "save/SaveV2/shape_and_slices")
        .putAttr("dtypes", types(Collections.nCopies(count, DataType.DT_FLOAT)));
    handles.forEach(h -> save.addInput(h + "/Read/ReadVariableOp"));
    w.add(save, "");
    w.add(w.node("save/control_dependency", "Identity", "save/Const", "^save/SaveV2")
        .putAttr("T", type(DataType.DT_STRING)), "output");
    w.add(w.node("save/RestoreV2", "RestoreV2", "save/Const", "save/RestoreV2/tensor_names",
        "save/RestoreV2/shape_and_slices").putAttr("dtypes", types(Collections.nCopies(count,
        DataType.DT_FLOAT))), "tensors");
    List<String> assigns = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String id = "save/Identity" + (i == 0 ? "" : "_" + i);
      w.add(w.node(id, "Identity", "save/RestoreV2:" + i).putAttr("T", F32), "output");
      String a = "save/AssignVariableOp" + (i == 0 ? "" : "_" + i);
      w.add(w.node(a, "AssignVariableOp", handles.get(i), id).putAttr("dtype", F32), "");
      assigns.add(a);
    }
    w.noOp("save/restore_all", assigns);
    MetaGraphDef meta = MetaGraphDef.newBuilder()
        .setMetaInfoDef(MetaGraphDef.MetaInfoDef.newBuilder().addTags("serve")
            .setTensorflowVersion(org.tensorflow.TensorFlow.version())
            .setTensorflowGitVersion("tf-prune test fixture"))
        .setGraphDef(GraphDef.newBuilder().setVersions(VersionDef.newBuilder().setProducer(134))
            .addAllNode(w.nodes()))
        .setSaverDef(SaverDef.newBuilder().setFilenameTensorName("save/Const:0")
            .setSaveTensorName("save/control_dependency:0").setRestoreOpName("save/restore_all")
            .setVersion(SaverDef.CheckpointFormatVersion.V2))
        .putSignatureDef("serving_default", SignatureDef.newBuilder()
            .setMethodName("tensorflow/serving/predict")
            .putInputs(inputKey, Tf2Writer.info(inputKey + ":0", in))
            .putOutputs(outputKey, Tf2Writer.info(out, new long[] {-1, 10})).build())
        .build();
    Bundles.write(dir, SavedModel.newBuilder().setSavedModelSchemaVersion(1).addMetaGraphs(meta)
        .build(), handles, shapes, values);
  }
}
