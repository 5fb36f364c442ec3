package org.tfprune.export;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;

/**
 * Checks a graph's function library before TensorFlow's native code imports it: every function
 * call ({@code StatefulPartitionedCall}, {@code PartitionedCall}) names a function the library
 * holds, each function body passes {@link GraphChecker#checkGraph} as a graph whose arguments
 * are placeholders and whose inputs name nodes ({@code node:output_arg:index} becomes {@code
 * node}), and each output it returns names a node of the body or an argument. Polymorphic
 * functions (types or attributes taken from the function's own attributes) are left to
 * TensorFlow.
 */
final class FunctionChecker {
  private static final Set<String> CALLS = Set.of("StatefulPartitionedCall", "PartitionedCall");

  private final GraphChecker graphs;
  private final BiFunction<String, Throwable, ? extends RuntimeException> error;

  FunctionChecker(GraphChecker graphs,
      BiFunction<String, Throwable, ? extends RuntimeException> error) {
    this.graphs = graphs;
    this.error = error;
  }

  void check(GraphDef graph, String file) {
    Set<String> names = new HashSet<>();
    graph.getLibrary().getFunctionList().forEach(f -> names.add(f.getSignature().getName()));
    checkCalls(graph.getNodeList(), names, file);
    for (FunctionDef f : graph.getLibrary().getFunctionList()) {
      checkCalls(f.getNodeDefList(), names, file + " (function " + f.getSignature().getName()
          + ")");
    }
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
      String where = file + " (function " + f.getSignature().getName() + ")";
      Set<String> held = new HashSet<>(graphs.checkGraph(g.build(), where).keySet());
      f.getRetMap().forEach((out, ref) -> {
        String node = args.contains(ref) ? ref : ref.split(":", -1)[0];
        if (!held.contains(node)) {
          throw error.apply(where + " returns '" + ref + "' as its output '" + out + "', but "
              + "its body has no node '" + node + "': the file is damaged; "
              + SavedModelValidator.REEXPORT, null);
        }
      });
    }
  }

  private void checkCalls(List<NodeDef> nodes, Set<String> functions, String where) {
    for (NodeDef n : nodes) {
      if (!CALLS.contains(n.getOp())) {
        continue;
      }
      String f = n.getAttrOrDefault("f", AttrValue.getDefaultInstance()).getFunc().getName();
      if (!functions.contains(f)) {
        throw error.apply("node '" + n.getName() + "' (" + n.getOp() + ") of " + where
            + " calls function '" + f + "', which the graph's function library does not hold: "
            + "the file is damaged; " + SavedModelValidator.REEXPORT, null);
      }
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
