package org.tfprune.export;

import static org.tfprune.export.SavedModelValidator.REEXPORT;
import static org.tfprune.export.SavedModelValidator.nodeOf;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiFunction;
import org.tensorflow.TensorFlow;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;

/** Checks a graph's nodes (ops, attributes, inputs) and its meta graph's signatures and saver. */
final class GraphChecker {
  private static Map<String, OpDef> registered;

  private final BiFunction<String, Throwable, ? extends RuntimeException> error;

  GraphChecker(BiFunction<String, Throwable, ? extends RuntimeException> error) {
    this.error = error;
  }

  private RuntimeException fail(String message) {
    return error.apply(message, null);
  }

  /**
   * Checks a meta graph: its graph ({@link #checkGraph}), its signatures' tensors and its saver's
   * nodes exist.
   */
  void checkMetaGraph(MetaGraphDef meta, Path pb) {
    GraphDef gd = meta.getGraphDef();
    Map<String, NodeDef> nodes = checkGraph(gd, pb.toString());
    for (Map.Entry<String, SignatureDef> s : new TreeMap<>(meta.getSignatureDefMap()).entrySet()) {
      List<TensorInfo> infos = new ArrayList<>(s.getValue().getInputsMap().values());
      infos.addAll(s.getValue().getOutputsMap().values());
      for (TensorInfo info : infos) {
        if (info.hasCooSparse() || info.hasCompositeTensor()) {
          continue; // checked by the importer, which refuses them with its own message
        }
        String node = nodeOf(info.getName());
        if (!nodes.containsKey(node)) {
          throw fail("signature '" + s.getKey() + "' of " + pb + " names the tensor '"
              + info.getName() + "', but the graph has no node '" + node + "': the file is "
              + "damaged or the signature was written for another graph; " + REEXPORT);
        }
      }
    }
    if (meta.hasSaverDef()) {
      for (String t : List.of(meta.getSaverDef().getFilenameTensorName(),
          meta.getSaverDef().getRestoreOpName())) {
        if (!t.isEmpty() && !nodes.containsKey(nodeOf(t))) {
          throw fail("the saver of " + pb + " names '" + t + "', which is not in the graph: the "
              + "file is damaged; " + REEXPORT);
        }
      }
    }
  }

  /**
   * Checks a graph node by node against the ops registered in this TensorFlow; returns the nodes
   * by name.
   *
   * @param file the file the graph was read from, named in the messages
   */
  Map<String, NodeDef> checkGraph(GraphDef gd, String file) {
    Map<String, OpDef> ops = registeredOps();
    Set<String> functions = new HashSet<>();
    gd.getLibrary().getFunctionList().forEach(f -> functions.add(f.getSignature().getName()));
    Map<String, NodeDef> nodes = new HashMap<>();
    for (NodeDef n : gd.getNodeList()) {
      if (n.getName().isEmpty() || nodes.put(n.getName(), n) != null) {
        throw fail(file + " has " + (n.getName().isEmpty() ? "a node without a name"
            : "two nodes named '" + n.getName() + "'") + ": the file is damaged; " + REEXPORT);
      }
    }
    for (NodeDef n : gd.getNodeList()) {
      OpDef op = ops.get(n.getOp());
      if (op == null) {
        if (functions.contains(n.getOp())) {
          continue; // a call of the graph's own function: checked when the function is imported
        }
        throw fail("node '" + n.getName() + "' of " + file + " has the op '" + n.getOp() + "', "
            + "which this TensorFlow (" + TensorFlow.version() + ") does not know: the file is "
            + "damaged, or the model needs a newer TensorFlow or a custom op library; "
            + REEXPORT);
      }
      for (String input : n.getInputList()) {
        String node = nodeOf(input);
        if (!nodes.containsKey(node)) {
          throw fail("node '" + n.getName() + "' of " + file + " reads '" + input + "', but the "
              + "graph has no node '" + node + "': the file is damaged; " + REEXPORT);
        }
        int colon = input.lastIndexOf(':');
        if (colon >= 0 && !input.substring(colon + 1).matches("\\d{1,6}")) {
          throw fail("node '" + n.getName() + "' of " + file + " reads '" + input + "', which "
              + "is not a tensor name (node:index): the file is damaged; " + REEXPORT);
        }
      }
      checkAttributes(n, op, file);
    }
    return nodes;
  }

  private void checkAttributes(NodeDef n, OpDef op, String file) {
    Map<String, OpDef.AttrDef> declared = new HashMap<>();
    op.getAttrList().forEach(a -> declared.put(a.getName(), a));
    String where = "node '" + n.getName() + "' (" + n.getOp() + ") of " + file;
    for (OpDef.AttrDef a : op.getAttrList()) {
      if (!a.hasDefaultValue() && !n.getAttrMap().containsKey(a.getName())) {
        throw fail(where + " lacks the attribute '" + a.getName() + "' its op requires: the "
            + "file is damaged; " + REEXPORT);
      }
    }
    for (Map.Entry<String, AttrValue> e : n.getAttrMap().entrySet()) {
      OpDef.AttrDef a = declared.get(e.getKey());
      if (a == null) {
        if (e.getKey().startsWith("_")) {
          continue; // internal attributes (e.g. _output_shapes, _class) that any node may carry
        }
        throw fail(where + " has the attribute '" + e.getKey() + "', which its op does not "
            + "declare: the file is damaged; " + REEXPORT);
      }
      String problem = AttributeValues.attributeProblem(e.getValue(), a);
      if (problem != null) {
        throw fail(where + ": attribute '" + e.getKey() + "' " + problem + "; the file is "
            + "damaged; " + REEXPORT);
      }
    }
  }

  private static synchronized Map<String, OpDef> registeredOps() {
    if (registered == null) {
      Map<String, OpDef> m = new HashMap<>();
      TensorFlow.registeredOpList().getOpList().forEach(o -> m.put(o.getName(), o));
      registered = m;
    }
    return registered;
  }
}
