package org.tfprune.imports;

import com.google.common.collect.ImmutableSet;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.NodeDef;

/**
 * Finds where the network starts: the tensor nearest to the logits that a fixed prefix computes
 * from the signature's input alone (the input itself, an {@code Identity} of it, input rescaling
 * by constants, a reshape of an input of another rank, a {@code tf.Example} parser). What lies
 * between the input and that tensor is kept unchanged in the export.
 */
final class NetworkInput {
  /** Elementwise ops with a constant operand, as Keras Rescaling / Normalization layers write. */
  static final ImmutableSet<String> RESCALING = ImmutableSet.of("Mul", "Sub", "RealDiv", "Div",
      "AddV2", "Add", "Maximum", "Minimum");
  /** Ops that change an input's shape only. */
  static final ImmutableSet<String> RESHAPES = ImmutableSet.of("Reshape", "ExpandDims",
      "Squeeze");
  /** Ops that parse serialized {@code tf.Example}s. */
  static final ImmutableSet<String> PARSERS = ImmutableSet.of("ParseExample", "ParseExampleV2",
      "ParseSingleExample");

  private NetworkInput() {}

  /**
   * The tensor the network reads: the first tensor of the prefix the walk back from
   * {@code logits} meets, or the (resolved) signature input when there is no prefix.
   */
  static TensorRef find(GraphIndex g, TensorRef signatureInput, TensorRef logits) {
    TensorRef root = root(g, signatureInput);
    if (!g.node(root).getOp().startsWith("Placeholder")) {
      return signatureInput; // refused later, naming the op
    }
    Set<String> prefix = prefix(g, root);
    Deque<TensorRef> todo = new ArrayDeque<>(List.of(logits));
    Set<String> seen = new HashSet<>();
    while (!todo.isEmpty()) {
      TensorRef t = todo.removeFirst();
      if (prefix.contains(t.node())) {
        return t;
      }
      if (!seen.add(t.node())) {
        continue;
      }
      NodeDef n = g.find(t.node()).orElse(null);
      if (n == null || GraphIndex.WEIGHT_OPS.contains(n.getOp())) {
        continue;
      }
      todo.addAll(GraphIndex.dataInputs(n));
    }
    return root;
  }

  /** The placeholder behind a chain of {@code Identity} ops on the signature's input. */
  static TensorRef root(GraphIndex g, TensorRef signatureInput) {
    return g.resolve(signatureInput);
  }

  /**
   * The nodes computed from {@code root} by prefix ops only (with constants as the other
   * operands): {@code root}'s node included.
   */
  static Set<String> prefix(GraphIndex g, TensorRef root) {
    Map<String, List<NodeDef>> consumers = new HashMap<>();
    for (NodeDef n : g.nodes()) {
      for (TensorRef i : GraphIndex.dataInputs(n)) {
        consumers.computeIfAbsent(i.node(), k -> new ArrayList<>()).add(n);
      }
    }
    NodeDef r = g.node(root);
    boolean reshapes = !isFloatImage(r);
    Set<String> in = new LinkedHashSet<>(List.of(root.node()));
    Deque<String> todo = new ArrayDeque<>(List.of(root.node()));
    while (!todo.isEmpty()) {
      for (NodeDef c : consumers.getOrDefault(todo.pop(), List.of())) {
        if (in.contains(c.getName()) || !isPrefixOp(c.getOp(), reshapes)) {
          continue;
        }
        boolean ok = true;
        for (TensorRef i : GraphIndex.dataInputs(c)) {
          ok &= in.contains(i.node()) || g.isWeight(i);
        }
        if (ok) {
          in.add(c.getName());
          todo.push(c.getName());
        }
      }
    }
    return in;
  }

  private static boolean isPrefixOp(String op, boolean reshapes) {
    return op.equals("Identity") || op.equals("Cast") || RESCALING.contains(op)
        || PARSERS.contains(op) || reshapes && RESHAPES.contains(op);
  }

  /** A float placeholder of rank 2 or 4: the network can read it as it is. */
  private static boolean isFloatImage(NodeDef n) {
    if (!n.getOp().equals("Placeholder") && !n.getOp().equals("PlaceholderWithDefault")) {
      return false;
    }
    if (!n.getAttrMap().containsKey("dtype")
        || n.getAttrOrThrow("dtype").getType() != DataType.DT_FLOAT) {
      return false;
    }
    if (!n.getAttrMap().containsKey("shape")) {
      return false;
    }
    var s = n.getAttrOrThrow("shape").getShape();
    return !s.getUnknownRank() && (s.getDimCount() == 2 || s.getDimCount() == 4);
  }
}
