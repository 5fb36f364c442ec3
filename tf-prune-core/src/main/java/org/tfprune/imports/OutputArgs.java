package org.tfprune.imports;

import com.google.common.collect.ImmutableMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.TensorFlow;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.FunctionDefLibrary;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;

/**
 * The op definitions that say where a named output argument of a node lands among its outputs:
 * a function body names a tensor {@code node:output_arg:index} (e.g. {@code
 * dense/MatMul:product:0}), a GraphDef {@code node:k}. Output arguments that are lists ({@code
 * number_attr} or {@code type_list_attr}) take as many outputs as the node's attribute says. Ops
 * come from TensorFlow's registry, function calls from the graph's function library.
 */
final class OutputArgs {
  private static volatile ImmutableMap<String, OpDef> registry;

  private final Map<String, OpDef> functions = new HashMap<>();

  OutputArgs(FunctionDefLibrary library) {
    for (FunctionDef f : library.getFunctionList()) {
      functions.put(f.getSignature().getName(), f.getSignature());
    }
  }

  /** TensorFlow's registered ops by name (read once per JVM). */
  static ImmutableMap<String, OpDef> registry() {
    ImmutableMap<String, OpDef> r = registry;
    if (r == null) {
      Map<String, OpDef> m = new HashMap<>();
      TensorFlow.registeredOpList().getOpList().forEach(o -> m.put(o.getName(), o));
      r = ImmutableMap.copyOf(m);
      registry = r;
    }
    return r;
  }

  /** The definition of {@code op}: a registered op or a function of the library, or null. */
  OpDef opDef(String op) {
    OpDef f = functions.get(op);
    return f != null ? f : registry().get(op);
  }

  /**
   * The position among {@code node}'s outputs of output argument {@code arg}'s element
   * {@code index}.
   */
  int index(NodeDef node, String arg, int index, String where) {
    OpDef def = opDef(node.getOp());
    if (def == null) {
      throw new ImportException(where + ": node " + node.getName() + " runs op " + node.getOp()
          + ", which this TensorFlow (" + TensorFlow.version() + ") does not know and the "
          + "graph's function library does not define: the model needs a custom op library or "
          + "a newer TensorFlow");
    }
    int offset = 0;
    List<OpDef.ArgDef> args = def.getOutputArgList();
    for (OpDef.ArgDef a : args) {
      int count = count(node, a, where);
      if (a.getName().equals(arg)) {
        if (index < 0 || index >= count) {
          throw new ImportException(where + ": a node input names output " + index + " of "
              + "argument '" + arg + "' of node " + node.getName() + " (" + node.getOp()
              + "), which has " + count + ": the function library is corrupt; export the "
              + "model again");
        }
        return offset + index;
      }
      offset += count;
    }
    throw new ImportException(where + ": a node input names output argument '" + arg + "' of "
        + "node " + node.getName() + ", but op " + node.getOp() + " has output arguments "
        + args.stream().map(OpDef.ArgDef::getName).toList() + ": the function library is "
        + "corrupt; export the model again");
  }

  /** How many outputs an output argument takes at a node. */
  private static int count(NodeDef node, OpDef.ArgDef a, String where) {
    String attr = !a.getNumberAttr().isEmpty() ? a.getNumberAttr() : a.getTypeListAttr();
    if (attr.isEmpty()) {
      return 1;
    }
    AttrValue v = node.getAttrMap().get(attr);
    if (v == null) {
      throw new ImportException(where + ": node " + node.getName() + " (" + node.getOp()
          + ") lacks attribute '" + attr + "', which sizes its output '" + a.getName()
          + "': the function library is corrupt; export the model again");
    }
    return !a.getNumberAttr().isEmpty() ? (int) v.getI() : v.getList().getTypeCount();
  }
}
