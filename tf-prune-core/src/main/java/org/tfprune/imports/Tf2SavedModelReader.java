package org.tfprune.imports;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operation;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Tensor;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
import org.tfprune.export.SavedModelValidator;
import org.tfprune.export.ServingContract;

/**
 * Reads a SavedModel whose serving path runs through function calls or reads resource variables
 * (Python TF2 / Keras {@code model.save}, {@code tf.saved_model.save}, Keras 3
 * {@code model.export}, Keras on TF1 with resource variables) into the frozen flat form the
 * mapper reads: the serving paths of every signature inlined ({@link FunctionInliner}), their
 * copies of the network merged into one ({@link SignatureMerger}), then every
 * {@code ReadVariableOp} on it replaced by a {@code Const} holding the variable's value. The values
 * come from TensorFlow's own restore: the SavedModel is loaded with {@link SavedModelBundle}, and
 * each variable the serving path captures is read through the loaded session. Variables the path
 * does not capture (optimizer slots, metrics, other copies of a weight) are ignored.
 */
final class Tf2SavedModelReader {
  /**
   * The frozen serving paths and the loaded original; the caller closes {@code bundle}.
   *
   * @param signatures every signature the frozen graph serves, the chosen one first, with the
   *     inputs {@link SignatureMerger} rewired
   * @param originals every signature read, by key, with the tensor names of {@code bundle}
   * @param notes signatures rewired to the chosen one's network, or left out, and why
   */
  record Frozen(GraphDef graph, SavedModelBundle bundle, ImmutableMap<String, String> reads,
      ImmutableList<ServingContract.Signature> signatures,
      ImmutableMap<String, ServingContract.Signature> originals, ImmutableList<String> notes) {}

  private Tf2SavedModelReader() {}

  /**
   * Flattens the serving paths of {@code sig} and of the model's other signatures (one that
   * cannot be flattened is left out with a note), merges their copies of the network ({@link
   * SignatureMerger}), checks the variables the model restores are in its bundle, loads the
   * model and freezes the variables the paths read.
   */
  static Frozen read(Path dir, MetaGraphDef meta, SourceSignature sig, String[] tags,
      SavedModelValidator validator) {
    Path pb = dir.resolve(SourceModel.SAVED_MODEL_PB);
    GraphDef graph = meta.getGraphDef();
    List<String> notes = new ArrayList<>();
    ImmutableList<ServingContract.Signature> all = SourceSignatures.all(meta, sig, notes);
    Map<String, String> what = tensors(all.get(0));
    FunctionInliner.flatten(graph, what, pb.toString()); // the chosen one's errors come first
    List<ServingContract.Signature> read = new ArrayList<>(List.of(all.get(0)));
    for (ServingContract.Signature other : all.subList(1, all.size())) {
      Map<String, String> more = new LinkedHashMap<>(what);
      tensors(other).forEach(more::putIfAbsent);
      try {
        FunctionInliner.flatten(graph, more, pb.toString());
        what = more;
        read.add(other);
      } catch (ImportException e) {
        notes.add("signature '" + other.key() + "' is not exported: " + e.getMessage());
      }
    }
    SignatureMerger.Merged merged = SignatureMerger.merge(FunctionInliner.flatten(graph, what,
        pb.toString()), read, notes);
    FunctionInliner.Flat flat = merged.flat();
    validator.checkFunctions(graph, pb.toString());
    validator.checkVariables(dir, graph);
    checkRestoredNames(dir, meta, validator);
    SavedModelBundle bundle;
    try {
      bundle = SavedModelBundle.loader(dir.toString()).withTags(tags).load();
    } catch (RuntimeException e) {
      TableAssets.checkPresent(dir, meta, e);
      throw new ImportException("TensorFlow could not load the SavedModel " + dir + ": "
          + e.getMessage() + ". The variables/ directory may be incomplete or damaged: copy the "
          + "whole SavedModel directory again or re-export the model", e);
    }
    try {
      GraphDef frozen = freeze(flat, bundle, graph, dir);
      validator.checkGraph(frozen, pb + " (its serving path, flattened)");
      Map<String, ServingContract.Signature> originals = new LinkedHashMap<>();
      read.forEach(s -> originals.put(s.key(), s));
      return new Frozen(frozen, bundle, flat.reads(), merged.signatures(),
          ImmutableMap.copyOf(originals), ImmutableList.copyOf(notes));
    } catch (RuntimeException e) {
      bundle.close();
      throw e;
    }
  }

  /** The tensors of signature {@code s}, each described for messages. */
  private static Map<String, String> tensors(ServingContract.Signature s) {
    Map<String, String> what = new LinkedHashMap<>();
    s.inputs().forEach((k, t) -> what.putIfAbsent(t, "the input '" + k + "' of signature '"
        + s.key() + "'"));
    s.outputs().forEach((k, t) -> what.putIfAbsent(t, "the output '" + k + "' of signature '"
        + s.key() + "'"));
    return what;
  }

  /**
   * Refuses a model whose restore op reads tensors that its variables bundle lacks (a bundle from
   * another model, or a partial copy), naming them.
   */
  private static void checkRestoredNames(Path dir, MetaGraphDef meta, SavedModelValidator v) {
    Set<String> wanted = new TreeSet<>();
    GraphDef g = meta.getGraphDef();
    collectRestored(g.getNodeList(), wanted);
    for (FunctionDef f : g.getLibrary().getFunctionList()) {
      collectRestored(f.getNodeDefList(), wanted);
    }
    if (wanted.isEmpty()) {
      return;
    }
    Set<String> have = v.variableNames(dir);
    List<String> missing = wanted.stream().filter(n -> !have.contains(n)).toList();
    if (!missing.isEmpty()) {
      throw new ImportException("the variables bundle of " + dir + " (variables/variables.index, "
          + have.size() + " tensors) lacks " + missing.size() + " of the " + wanted.size()
          + " tensors the model restores, e.g. '" + missing.get(0) + "'" + (missing.size() > 1
          ? " and '" + missing.get(1) + "'" : "") + ": the variables/ directory belongs to "
          + "another model or was copied in part; copy the whole SavedModel directory again or "
          + "export the model again");
    }
  }

  /** The tensor names of every {@code RestoreV2} among {@code nodes} whose names are constant. */
  private static void collectRestored(List<NodeDef> nodes, Set<String> out) {
    Map<String, NodeDef> byName = new HashMap<>();
    nodes.forEach(n -> byName.put(n.getName(), n));
    for (NodeDef n : nodes) {
      if (!n.getOp().equals("RestoreV2") || n.getInputCount() < 2) {
        continue;
      }
      String in = n.getInput(1);
      NodeDef names = byName.get(in.substring(0, in.indexOf(':') < 0 ? in.length()
          : in.indexOf(':')));
      if (names != null && names.getOp().equals("Const")) {
        names.getAttrOrDefault("value", AttrValue.getDefaultInstance()).getTensor()
            .getStringValList().forEach(s -> out.add(s.toStringUtf8()));
      }
    }
  }

  /** The flat graph with each variable read replaced by a constant of the restored value. */
  private static GraphDef freeze(FunctionInliner.Flat flat, SavedModelBundle bundle,
      GraphDef original, Path dir) {
    Map<String, NodeDef> handles = new HashMap<>();
    original.getNodeList().forEach(n -> handles.put(n.getName(), n));
    Map<String, TensorProto> values = new LinkedHashMap<>();
    Graph g = bundle.graph();
    Ops tf = Ops.create(g);
    int fresh = 0;
    for (String handle : new LinkedHashSet<>(flat.reads().values())) {
      NodeDef h = handles.get(handle);
      DataType type = h.getAttrOrThrow("dtype").getType();
      GraphOperation op = g.operation(handle);
      String name;
      do {
        name = "tf_prune_read_variable_" + fresh++;
      } while (g.operation(name) != null);
      Operation read = g.opBuilder("ReadVariableOp", name, tf.scope()).addInput(op.output(0))
          .setAttr("dtype", type).build();
      try (Result r = bundle.session().runner().fetch(read.output(0)).run()) {
        values.put(handle, proto(r.get(0), handle, dir));
      } catch (RuntimeException e) {
        if (e instanceof ImportException ie) {
          throw ie;
        }
        throw new ImportException("variable " + handle + " (shared name '" + GraphIndex.string(h,
            "shared_name", handle) + "'), which the serving function reads, has no value after "
            + "TensorFlow restored " + dir + " (" + e.getMessage().lines().findFirst().orElse("")
            + "): the variables bundle or the saver does not restore it; copy the whole "
            + "SavedModel directory again or export the model again", e);
      }
    }
    List<NodeDef> nodes = new ArrayList<>();
    for (NodeDef n : flat.graph().getNodeList()) {
      if (GraphIndex.WEIGHT_OPS.contains(n.getOp()) && !n.getOp().equals("Const")) {
        // a TF1 variable beside the resource ones: its restored value, read by its name
        try (Result r = bundle.session().runner().fetch(n.getName()).run()) {
          TensorProto v = proto(r.get(0), n.getName(), dir);
          nodes.add(constant(n.getName(), v));
        }
        continue;
      }
      String handle = flat.reads().get(n.getName());
      if (handle == null) {
        nodes.add(n);
        continue;
      }
      nodes.add(constant(n.getName(), values.get(handle)));
    }
    // the handles the reads used are no longer consumed
    Set<String> consumed = new java.util.HashSet<>();
    nodes.forEach(n -> n.getInputList().forEach(i -> consumed.add(TensorRef.parse(i).node())));
    nodes.removeIf(n -> n.getOp().equals("VarHandleOp") && !consumed.contains(n.getName()));
    return flat.graph().toBuilder().clearNode().addAllNode(nodes).build();
  }

  private static NodeDef constant(String name, TensorProto v) {
    return NodeDef.newBuilder().setName(name).setOp("Const")
        .putAttr("dtype", AttrValue.newBuilder().setType(v.getDtype()).build())
        .putAttr("value", AttrValue.newBuilder().setTensor(v).build()).build();
  }

  private static TensorProto proto(Tensor t, String handle, Path dir) {
    if (t.dataType() == DataType.DT_STRING || t.dataType() == DataType.DT_RESOURCE
        || t.dataType() == DataType.DT_VARIANT) {
      throw new ImportException("variable " + handle + " of " + dir + " holds " + t.dataType()
          + " values; tf-prune reads numeric weights");
    }
    byte[] bytes = new byte[(int) t.numBytes()];
    t.asRawTensor().data().read(bytes);
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long d : t.shape().asArray()) {
      s.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    return TensorProto.newBuilder().setDtype(t.dataType()).setTensorShape(s)
        .setTensorContent(ByteString.copyFrom(bytes)).build();
  }
}
