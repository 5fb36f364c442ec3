package org.tfprune.imports;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tfprune.export.ServingContract;

/**
 * Wires the signatures of a flattened TF2 serving graph to one network. Python TF2 writes one
 * call per signature (Keras 3 {@code model.export}: {@code serve} and {@code serving_default}),
 * each through its own wrapper function into the same model function with the same captured
 * variables, so flattening them gives one copy of the network per signature. Here another
 * signature whose one input is a placeholder of the chosen signature's dtype and shape reads the
 * chosen input instead, and ops that compute the same value from the same inputs (same op,
 * attributes and inputs; a variable read of the same handle) are merged into the first one, the
 * chosen signature's: the copies collapse into one network, which is mapped and pruned once, and
 * every signature's outputs read it. What no signature needs any more is dropped. The chosen
 * signature's own nodes are left as they are, and nodes a signature names as outputs keep their
 * names; a signature that computes something else keeps its own ops (the contract then decides
 * whether it can be exported).
 */
final class SignatureMerger {
  /** Ops never merged: inputs, variable handles and ops whose value is not a function of theirs. */
  private static final ImmutableSet<String> KEEP_APART = ImmutableSet.of("Placeholder",
      "PlaceholderWithDefault", "VarHandleOp", "VariableV2", "Variable");

  /** The merged graph and every signature (the chosen first) with its inputs as rewired. */
  record Merged(FunctionInliner.Flat flat, ImmutableList<ServingContract.Signature> signatures) {}

  private SignatureMerger() {}

  /**
   * Merges the copies of the network in {@code flat}; {@code signatures} holds the chosen one
   * first. Each signature rewired to the chosen input is told in {@code notes}.
   */
  static Merged merge(FunctionInliner.Flat flat, List<ServingContract.Signature> signatures,
      List<String> notes) {
    ServingContract.Signature chosen = signatures.get(0);
    Map<String, NodeDef> byName = new HashMap<>();
    flat.graph().getNodeList().forEach(n -> byName.put(n.getName(), n));
    TensorRef in = TensorRef.parse(chosen.inputs().values().iterator().next());
    Map<String, String> rep = new HashMap<>();
    Map<String, String> aliased = new LinkedHashMap<>(); // signature key to its former input
    for (ServingContract.Signature s : signatures.subList(1, signatures.size())) {
      if (s.inputs().size() != 1) {
        continue;
      }
      TensorRef t = TensorRef.parse(s.inputs().values().iterator().next());
      if (!t.node().equals(in.node()) && samePlaceholder(byName.get(t.node()),
          byName.get(in.node())) && t.index() == 0 && in.index() == 0) {
        rep.put(t.node(), in.node());
        aliased.put(s.key(), t.toString());
      }
    }
    Set<String> named = new HashSet<>();
    signatures.forEach(s -> s.outputs().values().forEach(t -> named.add(
        TensorRef.parse(t).node())));
    // the chosen signature's own graph stays as it is; only other nodes are replaced
    Set<String> chosenOwn = live(flat.graph().getNodeList(), List.of(chosen));
    Map<String, String> canon = new HashMap<>(rep); // node to the first node of equal value
    Map<NodeDef, String> seen = new HashMap<>();
    List<NodeDef> nodes = new ArrayList<>();
    for (NodeDef n : flat.graph().getNodeList()) { // inputs before their consumers
      if (rep.containsKey(n.getName())) {
        continue;
      }
      if (!KEEP_APART.contains(n.getOp()) && !n.getOp().startsWith("Random")) {
        NodeDef.Builder k = n.toBuilder().setName("").clearInput();
        n.getInputList().forEach(i -> k.addInput(rewire(i, canon)));
        String first = seen.putIfAbsent(k.build(), n.getName());
        if (first != null) {
          canon.put(n.getName(), first);
          if (!named.contains(n.getName()) && !chosenOwn.contains(n.getName())) {
            rep.put(n.getName(), first);
            continue;
          }
        }
      }
      NodeDef.Builder b = n.toBuilder().clearInput();
      n.getInputList().forEach(i -> b.addInput(rewire(i, rep)));
      nodes.add(b.build());
    }
    List<ServingContract.Signature> out = new ArrayList<>();
    for (ServingContract.Signature s : signatures) {
      Map<String, String> ins = new LinkedHashMap<>();
      s.inputs().forEach((k, t) -> ins.put(k, rewire(t, rep)));
      out.add(new ServingContract.Signature(s.key(), s.methodName(), ImmutableMap.copyOf(ins),
          s.outputs()));
    }
    Set<String> live = live(nodes, out);
    nodes.removeIf(n -> !live.contains(n.getName()));
    Map<String, String> reads = new LinkedHashMap<>(flat.reads());
    reads.keySet().retainAll(live);
    Set<String> chosenNeeds = live(nodes, List.of(out.get(0)));
    for (ServingContract.Signature s : out) {
      Set<String> needs = live(nodes, List.of(s));
      s.outputs().values().forEach(t -> needs.remove(TensorRef.parse(t).node()));
      if (aliased.containsKey(s.key()) && chosenNeeds.containsAll(needs)) {
        notes.add("signature '" + s.key() + "' runs the network of signature '" + chosen.key()
            + "': its input '" + s.inputs().keySet().iterator().next() + "' is fed at " + in
            + " (was " + aliased.get(s.key()) + ") and the network is pruned once for both");
      }
    }
    GraphDef g = flat.graph().toBuilder().clearNode().addAllNode(nodes).build();
    return new Merged(new FunctionInliner.Flat(g, ImmutableMap.copyOf(reads)),
        ImmutableList.copyOf(out));
  }

  private static boolean samePlaceholder(NodeDef a, NodeDef b) {
    return a != null && b != null && a.getOp().equals("Placeholder")
        && b.getOp().equals("Placeholder")
        && a.getAttrOrDefault("dtype", AttrValue.getDefaultInstance()).equals(
            b.getAttrOrDefault("dtype", AttrValue.getDefaultInstance()))
        && a.getAttrOrDefault("shape", AttrValue.getDefaultInstance()).equals(
            b.getAttrOrDefault("shape", AttrValue.getDefaultInstance()));
  }

  private static String rewire(String input, Map<String, String> rep) {
    if (input.startsWith("^")) {
      return input;
    }
    TensorRef t = TensorRef.parse(input);
    String to = rep.get(t.node());
    return to == null ? input : new TensorRef(to, t.index()).toString();
  }

  /** The nodes some signature's tensors need. */
  private static Set<String> live(Collection<NodeDef> nodes,
      List<ServingContract.Signature> sigs) {
    Map<String, NodeDef> byName = new HashMap<>();
    nodes.forEach(n -> byName.put(n.getName(), n));
    Deque<String> todo = new ArrayDeque<>();
    for (ServingContract.Signature s : sigs) {
      s.inputs().values().forEach(t -> todo.push(TensorRef.parse(t).node()));
      s.outputs().values().forEach(t -> todo.push(TensorRef.parse(t).node()));
    }
    Set<String> live = new HashSet<>();
    while (!todo.isEmpty()) {
      String name = todo.pop();
      NodeDef n = byName.get(name);
      if (n != null && live.add(name)) {
        n.getInputList().forEach(i -> todo.push(TensorRef.parse(i).node()));
      }
    }
    return live;
  }
}
