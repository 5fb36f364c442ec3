package org.tfprune.imports;

import java.util.HashSet;
import java.util.Set;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;
import org.tfprune.export.SavedModelValidator;

/**
 * Checks the function bodies of a graph's library node by node, as {@link
 * SavedModelValidator#checkGraph} checks a graph, before TensorFlow's native code imports them:
 * each body is checked as a graph whose arguments are placeholders and whose inputs name nodes
 * ({@code node:output_arg:index} becomes {@code node}). Polymorphic functions (types or
 * attributes taken from the function's own attributes) are left to TensorFlow.
 */
final class FunctionLibraryChecker {
  private FunctionLibraryChecker() {}

  static void check(GraphDef graph, SavedModelValidator validator, String file) {
    for (FunctionDef f : graph.getLibrary().getFunctionList()) {
      if (polymorphic(f)) {
        continue;
      }
      GraphDef.Builder g = GraphDef.newBuilder().setLibrary(graph.getLibrary());
      Set<String> args = new HashSet<>();
      for (OpDef.ArgDef a : f.getSignature().getInputArgList()) {
        args.add(a.getName());
        g.addNode(NodeDef.newBuilder().setName(a.getName()).setOp("Placeholder")
            .putAttr("dtype", AttrValue.newBuilder().setType(a.getType()).build()));
      }
      for (NodeDef n : f.getNodeDefList()) {
        NodeDef.Builder b = n.toBuilder().clearInput();
        for (String in : n.getInputList()) {
          String ref = in.startsWith("^") ? in.substring(1) : in;
          String node = args.contains(ref) ? ref : ref.split(":", -1)[0];
          b.addInput((in.startsWith("^") ? "^" : "") + node);
        }
        g.addNode(b);
      }
      validator.checkGraph(g.build(), file + " (function " + f.getSignature().getName() + ")");
    }
  }

  private static boolean polymorphic(FunctionDef f) {
    if (f.getSignature().getAttrCount() > 0) {
      return true;
    }
    for (OpDef.ArgDef a : f.getSignature().getInputArgList()) {
      if (a.getType() == DataType.DT_INVALID) {
        return true;
      }
    }
    return f.getNodeDefList().stream().flatMap(n -> n.getAttrMap().values().stream())
        .anyMatch(v -> !v.getPlaceholder().isEmpty());
  }
}
