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
import java.util.Set;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.FunctionDefLibrary;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NameAttrList;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.VersionDef;
import org.tfprune.testing.tf2.Tf2Fixtures.Form;

/**
 * Writes one SavedModel the way Python TF2 / Keras writes it (see {@link Tf2Fixtures}): the
 * top-level graph, the signature wrapper, the model and layer functions, the save and restore
 * functions, the object graph and the variables bundle.
 */
final class Tf2Writer {
  private final FixtureNet net;
  private final Form form;
  private final String inputKey;
  private final String outputKey;
  private final List<FunctionDef> functions = new ArrayList<>();
  private final Set<String> unsaved;
  private int counter = 302000;

  Tf2Writer(FixtureNet net, Form form, String inputKey, String outputKey, Set<String> unsaved) {
    this.unsaved = unsaved;
    this.net = net;
    this.form = form;
    this.inputKey = inputKey;
    this.outputKey = outputKey;
  }

  private String fname(String stem) {
    return "__inference_" + stem + "_" + (counter += 17);
  }

  void write(Path dir) {
    List<FixtureNet.Var> vars = net.vars();
    boolean keras3 = form == Form.KERAS3;
    GraphDef.Builder g = GraphDef.newBuilder().setVersions(VersionDef.newBuilder()
        .setProducer(1205).setMinConsumer(12));
    // variables: Keras 3 keeps each weight behind two handles; serving captures the second
    List<String> captured = new ArrayList<>();
    List<String> handles = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    List<float[]> values = new ArrayList<>();
    List<long[]> shapes = new ArrayList<>();
    for (int i = 0; i < vars.size(); i++) {
      FixtureNet.Var v = vars.get(i);
      if (keras3) {
        handles.add(v.name());
        keys.add(v.key());
        values.add(new float[v.value().length]); // a copy serving does not read: zeros
        shapes.add(v.shape());
        handles.add("Variable_" + i);
        keys.add("variables/" + i + "/.ATTRIBUTES/VARIABLE_VALUE");
        captured.add("Variable_" + i);
      } else {
        handles.add(v.name());
        keys.add(v.key());
        captured.add(v.name());
      }
      values.add(v.value());
      shapes.add(v.shape());
    }
    if (!keras3) { // Adam's slots: restored, never read by serving
      for (int i = 0; i < 2; i++) {
        FixtureNet.Var v = vars.get(i);
        handles.add("Adam/" + v.name() + "/m");
        keys.add(v.key().replace("/.ATTRIBUTES", "/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES"));
        float[] slot = new float[v.value().length];
        java.util.Arrays.fill(slot, 7f);
        values.add(slot);
        shapes.add(v.shape());
      }
    }
    for (int i = 0; i < handles.size(); i++) {
      g.addNode(NodeDef.newBuilder().setName(handles.get(i)).setOp("VarHandleOp")
          .putAttr("dtype", F32).putAttr("shape", shapeAttr(shapes.get(i)))
          .putAttr("shared_name", str(handles.get(i)))
          .putAttr("allowed_devices", AttrValue.newBuilder().setList(
              AttrValue.ListValue.getDefaultInstance()).build()));
      g.addNode(NodeDef.newBuilder().setName(handles.get(i) + "/Read/ReadVariableOp")
          .setOp("ReadVariableOp").addInput(handles.get(i)).putAttr("dtype", F32));
    }
    String model = modelFunction();
    List<String> sigs = keras3 ? List.of("serve", "serving_default") : List.of(
        "serving_default");
    MetaGraphDef.Builder meta = MetaGraphDef.newBuilder();
    int call = 0;
    for (String sig : sigs) {
      String wrapper = wrapper(model);
      String placeholder = sig + "_" + inputKey;
      long[] in = batchShape(net.inputShape());
      g.addNode(NodeDef.newBuilder().setName(placeholder).setOp("Placeholder")
          .putAttr("dtype", F32).putAttr("shape", shapeAttr(in)));
      String callName = "StatefulPartitionedCall" + (call == 0 ? "" : "_" + call);
      call++;
      List<String> inputs = new ArrayList<>(List.of(placeholder));
      inputs.addAll(captured);
      g.addNode(call(callName, wrapper, inputs, resources(1, captured.size()),
          List.of(DataType.DT_FLOAT)));
      meta.putSignatureDef(sig, SignatureDef.newBuilder().setMethodName(
              "tensorflow/serving/predict")
          .putInputs(inputKey, info(placeholder + ":0", in))
          .putOutputs(outputKey, info(callName + ":0", new long[] {-1, 10})).build());
    }
    g.addNode(NodeDef.newBuilder().setName("NoOp").setOp("NoOp"));
    g.addNode(NodeDef.newBuilder().setName("Const").setOp("Const").setDevice("/device:CPU:0")
        .putAttr("dtype", type(DataType.DT_STRING))
        .putAttr("value", strings(List.of(""), true)));
    g.addNode(NodeDef.newBuilder().setName("saver_filename").setOp("Placeholder")
        .putAttr("dtype", type(DataType.DT_STRING)).putAttr("shape", shapeAttr()));
    String save = "StatefulPartitionedCall_" + call;
    String restore = "StatefulPartitionedCall_" + (call + 1);
    List<String> saveIn = new ArrayList<>(List.of("saver_filename"));
    handles.forEach(h -> saveIn.add(h + "/Read/ReadVariableOp"));
    List<DataType> saveTypes = new ArrayList<>(List.of(DataType.DT_STRING));
    saveTypes.addAll(Collections.nCopies(handles.size(), DataType.DT_FLOAT));
    g.addNode(call(save, saveFunction(keys), saveIn, saveTypes, List.of(DataType.DT_STRING)));
    List<String> restoreIn = new ArrayList<>(List.of("saver_filename"));
    restoreIn.addAll(handles);
    List<DataType> restoreTypes = new ArrayList<>(List.of(DataType.DT_STRING));
    restoreTypes.addAll(Collections.nCopies(handles.size(), DataType.DT_RESOURCE));
    g.addNode(call(restore, restoreFunction(keys), restoreIn, restoreTypes,
        List.of(DataType.DT_STRING)));
    g.setLibrary(FunctionDefLibrary.newBuilder().addAllFunction(functions));
    meta.setMetaInfoDef(MetaGraphDef.MetaInfoDef.newBuilder().addTags("serve")
            .setTensorflowVersion(org.tensorflow.TensorFlow.version())
            .setTensorflowGitVersion("tf-prune test fixture").setStrippedDefaultAttrs(true))
        .setGraphDef(g)
        .setSaverDef(SaverDef.newBuilder().setFilenameTensorName("saver_filename:0")
            .setSaveTensorName(save + ":0").setRestoreOpName(restore)
            .setVersion(SaverDef.CheckpointFormatVersion.V2))
        .putSignatureDef("__saved_model_init_op", SignatureDef.newBuilder()
            .putOutputs("__saved_model_init_op", TensorInfo.newBuilder().setName("NoOp")
                .build()).build())
        .setObjectGraphDef(ObjectGraph.of(handles, shapes));
    for (int i = handles.size() - 1; i >= 0; i--) {
      if (unsaved.contains(handles.get(i))) {
        keys.remove(i);
        shapes.remove(i);
        values.remove(i);
      }
    }
    Bundles.write(dir, SavedModel.newBuilder().setSavedModelSchemaVersion(1)
        .addMetaGraphs(meta).build(), keys, shapes, values);
  }

  private static List<DataType> resources(int floats, int resources) {
    List<DataType> t = new ArrayList<>(Collections.nCopies(floats, DataType.DT_FLOAT));
    t.addAll(Collections.nCopies(resources, DataType.DT_RESOURCE));
    return t;
  }

  /** The model function: the layers inlined, or one call per layer. */
  private String modelFunction() {
    boolean nested = form == Form.KERAS2_NESTED;
    String name = fname("_wrapped_model");
    OpWriter w = new OpWriter(true);
    List<String> args = resourceArgs(net.vars().size(), i -> "sequential_"
        + net.vars().get(i).name().replace('/', '_') + "_readvariableop_resource");
    String x = inputKey;
    int v = 0;
    for (int i = 0; i < net.layers().size(); i++) {
      int n = net.varsOf(i).size();
      List<String> res = args.subList(v, v + n);
      v += n;
      String scope = "sequential/" + net.layers().get(i).scope() + "/";
      if (nested) {
        String layerFn = layerFunction(i);
        List<String> ins = new ArrayList<>(List.of(x));
        ins.addAll(res);
        // a layer without variables is called as Keras calls it: without state
        String op = n == 0 ? "PartitionedCall" : "StatefulPartitionedCall";
        NodeDef c = call(scope + op, layerFn, ins, resources(1, n),
            List.of(DataType.DT_FLOAT)).toBuilder().setOp(op).build();
        x = w.add(c.toBuilder(), "output");
      } else {
        x = net.emit(w, i, scope, x, res);
      }
    }
    List<String> control = new ArrayList<>(w.reads());
    w.nodes().stream().filter(n -> n.getOp().equals("StatefulPartitionedCall"))
        .forEach(n -> control.add(n.getName()));
    w.noOp("NoOp", control);
    w.identity("Identity", x, "NoOp");
    functions.add(function(name, inputKey, args, w.nodes()));
    return name;
  }

  private String layerFunction(int i) {
    String name = fname(net.layers().get(i).scope()
        + "_layer_call_and_return_conditional_losses");
    OpWriter w = new OpWriter(true);
    int n = net.varsOf(i).size();
    List<String> args = resourceArgs(n, k -> "readvariableop_" + k + "_resource");
    String out = net.emit(w, i, "", "inputs", args);
    w.noOp("NoOp", new ArrayList<>(w.reads()));
    w.identity("Identity", out, "NoOp");
    functions.add(function(name, "inputs", args, w.nodes()));
    return name;
  }

  private String wrapper(String model) {
    String name = fname("signature_wrapper");
    int n = net.vars().size();
    List<String> args = resourceArgs(n, k -> k == 0 ? "unknown" : "unknown_" + (k - 1));
    OpWriter w = new OpWriter(true);
    List<String> ins = new ArrayList<>(List.of(inputKey));
    ins.addAll(args);
    String out = w.add(call("StatefulPartitionedCall", model, ins, resources(1, n),
        List.of(DataType.DT_FLOAT)).toBuilder(), "output");
    w.noOp("NoOp", List.of("StatefulPartitionedCall"));
    w.identity("Identity", out, "NoOp");
    functions.add(function(name, inputKey, args, w.nodes()));
    return name;
  }

  private String saveFunction(List<String> keys) {
    String name = fname("_traced_save");
    OpDef.Builder sig = OpDef.newBuilder().setName(name).addInputArg(arg("file_prefix",
        DataType.DT_STRING)).addOutputArg(arg("identity_1", DataType.DT_STRING))
        .setIsStateful(true);
    NodeDef.Builder saveV2 = NodeDef.newBuilder().setName("SaveV2").setOp("SaveV2")
        .addInput("file_prefix").addInput("SaveV2/tensor_names:output:0")
        .addInput("SaveV2/shape_and_slices:output:0")
        .putAttr("dtypes", types(Collections.nCopies(keys.size(), DataType.DT_FLOAT)));
    for (int i = 0; i < keys.size(); i++) {
      String a = "savev2_" + i + "_read_readvariableop";
      sig.addInputArg(arg(a, DataType.DT_FLOAT));
      saveV2.addInput(a);
    }
    FunctionDef f = FunctionDef.newBuilder().setSignature(sig)
        .addNodeDef(constStrings("SaveV2/tensor_names", keys))
        .addNodeDef(constStrings("SaveV2/shape_and_slices", Collections.nCopies(keys.size(),
            "")))
        .addNodeDef(saveV2)
        .addNodeDef(NodeDef.newBuilder().setName("Identity").setOp("Identity")
            .addInput("file_prefix").addInput("^SaveV2").putAttr("T", type(
                DataType.DT_STRING)))
        .putRet("identity_1", "Identity:output:0").build();
    functions.add(f);
    return name;
  }

  private String restoreFunction(List<String> keys) {
    String name = fname("_traced_restore");
    OpDef.Builder sig = OpDef.newBuilder().setName(name).addInputArg(arg("file_prefix",
        DataType.DT_STRING)).addOutputArg(arg("identity_" + (keys.size() + 1),
        DataType.DT_STRING)).setIsStateful(true);
    FunctionDef.Builder f = FunctionDef.newBuilder()
        .addNodeDef(constStrings("RestoreV2/tensor_names", keys))
        .addNodeDef(constStrings("RestoreV2/shape_and_slices", Collections.nCopies(
            keys.size(), "")))
        .addNodeDef(NodeDef.newBuilder().setName("RestoreV2").setOp("RestoreV2")
            .addInput("file_prefix").addInput("RestoreV2/tensor_names:output:0")
            .addInput("RestoreV2/shape_and_slices:output:0")
            .putAttr("dtypes", types(Collections.nCopies(keys.size(), DataType.DT_FLOAT))));
    NodeDef.Builder noOp = NodeDef.newBuilder().setName("NoOp_1").setOp("NoOp");
    for (int i = 0; i < keys.size(); i++) {
      String a = "assignvariableop_" + i + "_resource";
      sig.addInputArg(arg(a, DataType.DT_RESOURCE));
      String id = i == 0 ? "Identity" : "Identity_" + i;
      String assign = i == 0 ? "AssignVariableOp" : "AssignVariableOp_" + i;
      f.addNodeDef(NodeDef.newBuilder().setName(id).setOp("Identity")
          .addInput("RestoreV2:tensors:" + i).putAttr("T", F32));
      f.addNodeDef(NodeDef.newBuilder().setName(assign).setOp("AssignVariableOp")
          .addInput(a).addInput(id + ":output:0").putAttr("dtype", F32));
      noOp.addInput("^" + assign);
      f.putControlRet(assign, assign);
    }
    f.addNodeDef(noOp);
    String out = "Identity_" + (keys.size() + 1);
    f.addNodeDef(NodeDef.newBuilder().setName(out).setOp("Identity").addInput("file_prefix")
        .addInput("^NoOp_1").putAttr("T", type(DataType.DT_STRING)));
    functions.add(f.setSignature(sig).putRet("identity_" + (keys.size() + 1), out
        + ":output:0").build());
    return name;
  }

  static List<String> resourceArgs(int n, java.util.function.IntFunction<String> name) {
    List<String> a = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      a.add(name.apply(i));
    }
    return a;
  }

  /** A function taking a float input and resources, returning {@code Identity}. */
  static FunctionDef function(String name, String input, List<String> resources,
      List<NodeDef> nodes) {
    OpDef.Builder sig = OpDef.newBuilder().setName(name).addInputArg(arg(input,
        DataType.DT_FLOAT)).addOutputArg(arg("identity", DataType.DT_FLOAT)).setIsStateful(
        !resources.isEmpty());
    resources.forEach(r -> sig.addInputArg(arg(r, DataType.DT_RESOURCE)));
    return FunctionDef.newBuilder().setSignature(sig).addAllNodeDef(nodes)
        .putRet("identity", "Identity:output:0").build();
  }

  static OpDef.ArgDef arg(String name, DataType t) {
    return OpDef.ArgDef.newBuilder().setName(name).setType(t).build();
  }

  static NodeDef call(String name, String function, List<String> inputs, List<DataType> in,
      List<DataType> out) {
    return NodeDef.newBuilder().setName(name).setOp("StatefulPartitionedCall")
        .addAllInput(inputs).putAttr("Tin", types(in)).putAttr("Tout", types(out))
        .putAttr("f", AttrValue.newBuilder().setFunc(NameAttrList.newBuilder()
            .setName(function)).build())
        .putAttr("config", str("")).putAttr("config_proto", str(""))
        .putAttr("executor_type", str("")).build();
  }

  static NodeDef constStrings(String name, List<String> values) {
    return NodeDef.newBuilder().setName(name).setOp("Const")
        .putAttr("dtype", type(DataType.DT_STRING)).putAttr("value", strings(values, false))
        .build();
  }

  static long[] batchShape(long[] example) {
    long[] s = new long[example.length + 1];
    s[0] = -1;
    System.arraycopy(example, 0, s, 1, example.length);
    return s;
  }

  static TensorInfo info(String name, long[] shape) {
    return TensorInfo.newBuilder().setName(name).setDtype(DataType.DT_FLOAT)
        .setTensorShape(OpWriter.shape(shape)).build();
  }
}
