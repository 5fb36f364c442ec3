package org.tfprune.imports;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/** A GraphDef's nodes by name, with the lookups the importer needs. */
final class GraphIndex {
  /** Ops that hold weights: constants and TF1 variables. */
  static final ImmutableSet<String> WEIGHT_OPS = ImmutableSet.of("Const", "VariableV2",
      "Variable");

  /** Arithmetic whose result is a constant when its inputs are. */
  private static final ImmutableSet<String> CONSTANT_MATH = ImmutableSet.of("Identity", "Add",
      "AddV2", "Sub", "Mul", "RealDiv", "Rsqrt", "Sqrt", "Reciprocal", "Neg", "Square");

  private final Map<String, Boolean> constants = new java.util.HashMap<>();
  private final ImmutableMap<String, NodeDef> nodes;
  private final String source;

  GraphIndex(GraphDef graph, String source) {
    Map<String, NodeDef> m = new LinkedHashMap<>();
    for (NodeDef n : graph.getNodeList()) {
      m.put(n.getName(), n);
    }
    this.nodes = ImmutableMap.copyOf(m);
    this.source = source;
  }

  Optional<NodeDef> find(String name) {
    return Optional.ofNullable(nodes.get(name));
  }

  /** The node; a missing node means the graph is damaged. */
  NodeDef node(String name) {
    NodeDef n = nodes.get(name);
    if (n == null) {
      throw new ImportException("the graph of " + source + " refers to a node '" + name + "' it "
          + "does not hold: the file is truncated or corrupt; copy or export the model again");
    }
    return n;
  }

  NodeDef node(TensorRef t) {
    return node(t.node());
  }

  ImmutableList<NodeDef> nodes() {
    return nodes.values().asList();
  }

  /** The data inputs of a node (control inputs left out). */
  static List<TensorRef> dataInputs(NodeDef n) {
    return n.getInputList().stream().filter(i -> !i.startsWith("^")).map(TensorRef::parse)
        .toList();
  }

  /** The tensor behind any chain of {@code Identity} (and {@code IdentityN}) ops. */
  TensorRef resolve(TensorRef t) {
    TensorRef r = t;
    for (int guard = 0; guard <= nodes.size(); guard++) {
      NodeDef n = node(r);
      if (n.getOp().equals("Identity")) {
        r = dataInputs(n).get(0);
      } else if (n.getOp().equals("IdentityN") && r.index() < dataInputs(n).size()) {
        r = dataInputs(n).get(r.index());
      } else {
        return r;
      }
    }
    throw new ImportException("the graph of " + source + " has a cycle of Identity ops at " + t
        + ": the file is corrupt");
  }

  /**
   * Whether the tensor (behind identities) is a constant or a variable, or arithmetic on those
   * alone (Keras's unfused batch norm computes {@code gamma * rsqrt(variance + epsilon)}).
   */
  boolean isWeight(TensorRef t) {
    return isConstant(resolve(t).node(), 0);
  }

  private boolean isConstant(String name, int depth) {
    Boolean known = constants.get(name);
    if (known != null) {
      return known;
    }
    NodeDef n = node(name);
    boolean c = WEIGHT_OPS.contains(n.getOp());
    if (!c && depth < 64 && CONSTANT_MATH.contains(n.getOp())) {
      List<TensorRef> in = dataInputs(n);
      c = !in.isEmpty();
      for (TensorRef i : in) {
        c &= isConstant(resolve(i).node(), depth + 1);
      }
    }
    constants.put(name, c);
    return c;
  }

  static String string(NodeDef n, String attr, String fallback) {
    AttrValue v = n.getAttrMap().get(attr);
    return v == null ? fallback : v.getS().toStringUtf8();
  }

  static boolean bool(NodeDef n, String attr, boolean fallback) {
    AttrValue v = n.getAttrMap().get(attr);
    return v == null ? fallback : v.getB();
  }

  static float number(NodeDef n, String attr, float fallback) {
    AttrValue v = n.getAttrMap().get(attr);
    return v == null ? fallback : v.getF();
  }

  /** An int-list attribute such as {@code strides}; empty when absent. */
  static List<Long> ints(NodeDef n, String attr) {
    AttrValue v = n.getAttrMap().get(attr);
    return v == null ? List.of() : v.getList().getIList();
  }
}
