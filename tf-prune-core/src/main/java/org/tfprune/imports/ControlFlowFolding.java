package org.tfprune.imports;

import com.google.common.collect.ImmutableList;
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
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Folds TF1 control flow whose predicate is fixed at serving time: the {@code Switch}/{@code
 * Merge} pairs of {@code tf.cond(is_training, ...)}, {@code
 * tf.layers.batch_normalization(training=is_training)} or Keras's {@code keras_learning_phase},
 * once the predicate placeholder is a constant (its {@code PlaceholderWithDefault} default or a
 * {@code --feed} value, {@link TrainingFeeds}). Each such {@code Switch} becomes an {@code
 * Identity} of its data on the branch taken (a {@code RefSwitch} too), each {@code Merge} an
 * {@code Identity} of its one live input (its {@code value_index} a constant), and the ops of
 * the branch not taken are dropped (they are dead in TensorFlow's sense: they read the untaken
 * output of a {@code Switch}, as data or as a control input), so the inference path maps as
 * usual. Control flow on the serving path whose predicate is computed
 * from the data is refused, naming the {@code Switch} and the fix.
 */
final class ControlFlowFolding {
  /** The ops of TF1 control flow that cannot stay on a mapped serving path. */
  private static final Set<String> CONTROL_FLOW = Set.of("Switch", "RefSwitch", "Merge",
      "RefMerge", "Enter", "Exit", "NextIteration", "LoopCond");

  /** The graph with constant-predicate control flow folded, and what was folded. */
  record Folded(GraphDef graph, ImmutableList<String> notes) {}

  private ControlFlowFolding() {}

  /**
   * Folds every {@code Switch} whose predicate is a boolean constant (behind identities) and the
   * {@code Merge}s and ops that depend on it; refuses control flow left on the paths from
   * {@code outputs} back to the inputs.
   */
  static Folded fold(GraphDef graph, Collection<String> outputs, String source) {
    Map<String, NodeDef> byName = new LinkedHashMap<>();
    graph.getNodeList().forEach(n -> byName.put(n.getName(), n));
    if (graph.getNodeList().stream().noneMatch(n -> CONTROL_FLOW.contains(n.getOp()))) {
      return new Folded(graph, ImmutableList.of());
    }
    Set<String> dead = new HashSet<>();
    Map<String, Integer> livePort = new HashMap<>(); // folded Switch -> its live output
    Map<String, Integer> mergeIndex = new HashMap<>(); // folded Merge -> index of its live input
    Map<String, Boolean> predicates = new LinkedHashMap<>(); // predicate constant -> value
    Map<String, int[]> counts = new LinkedHashMap<>(); // predicate -> {switches, merges}
    Map<String, NodeDef> replaced = new HashMap<>();
    for (NodeDef n : topological(graph, byName)) {
      if (n.getOp().equals("Merge") || n.getOp().equals("RefMerge")) {
        List<String> live = new ArrayList<>();
        int index = -1;
        boolean anyDead = false;
        List<String> data = n.getInputList().stream().filter(i -> !i.startsWith("^")).toList();
        for (int k = 0; k < data.size(); k++) {
          if (isDead(data.get(k), dead, livePort)) {
            anyDead = true;
          } else {
            live.add(data.get(k));
            index = k;
          }
        }
        if (anyDead && live.isEmpty()) {
          dead.add(n.getName());
        } else if (anyDead && live.size() == 1) {
          mergeIndex.put(n.getName(), index);
          replaced.put(n.getName(), identity(n, live.get(0)));
          String p = predicateOf(live.get(0), byName, livePort);
          counts.computeIfAbsent(p, k -> new int[2])[1]++;
        }
        continue;
      }
      if (n.getInputList().stream().anyMatch(i -> isDead(i, dead, livePort))) {
        dead.add(n.getName());
        continue;
      }
      if ((n.getOp().equals("Switch") || n.getOp().equals("RefSwitch"))
          && n.getInputCount() >= 2) {
        String pred = constantRoot(n.getInput(1), byName);
        Boolean value = pred == null ? null : boolValue(byName.get(pred));
        if (value != null) {
          livePort.put(n.getName(), value ? 1 : 0);
          replaced.put(n.getName(), identity(n, n.getInput(0)));
          predicates.put(pred, value);
          counts.computeIfAbsent(pred, k -> new int[2])[0]++;
        }
      }
    }
    if (predicates.isEmpty()) {
      check(byName, outputs, source);
      return new Folded(graph, ImmutableList.of());
    }
    GraphDef.Builder out = graph.toBuilder().clearNode();
    Map<String, NodeDef> kept = new LinkedHashMap<>();
    for (NodeDef n : graph.getNodeList()) {
      if (dead.contains(n.getName())) {
        continue;
      }
      NodeDef r = replaced.getOrDefault(n.getName(), n).toBuilder().clearInput()
          .addAllInput(rewire(replaced.getOrDefault(n.getName(), n).getInputList(), livePort,
              mergeIndex)).build();
      out.addNode(r);
      kept.put(r.getName(), r);
    }
    for (Map.Entry<String, Integer> m : mergeIndex.entrySet()) {
      NodeDef c = indexConstant(m.getKey() + "/value_index", m.getValue());
      out.addNode(c);
      kept.put(c.getName(), c);
    }
    for (String o : outputs) {
      if (dead.contains(TensorRef.parse(o).node())) {
        throw new ImportException("output " + o + " of " + source + " is computed only on a "
            + "branch of control flow that is not taken at serving time (" + predicates + "): "
            + "give the predicate the value it has at inference with --feed");
      }
    }
    for (NodeDef n : kept.values()) {
      for (String i : n.getInputList()) {
        String src = TensorRef.parse(i.startsWith("^") ? i.substring(1) : i).node();
        if (!kept.containsKey(src)) {
          throw new ImportException("folding the control flow of " + source + " left "
              + n.getName() + " reading a dropped node " + src + ": this is a bug in tf-prune's "
              + "importer; please report it with the model's saved_model.pb");
        }
      }
    }
    check(kept, outputs, source);
    List<String> notes = new ArrayList<>();
    predicates.forEach((p, v) -> {
      int[] c = counts.getOrDefault(p, new int[2]);
      notes.add("control flow folded: predicate " + p + " = " + v + " (its default or --feed); "
          + c[0] + " Switch and " + c[1] + " Merge op(s) take the " + v + " branch, the other "
          + "branch is dropped");
    });
    if (!dead.isEmpty()) {
      notes.add(dead.size() + " op(s) of untaken branches dropped");
    }
    return new Folded(out.build(), ImmutableList.copyOf(notes));
  }

  /** Whether input {@code i} (data or control) reads a dead node or an untaken Switch output. */
  private static boolean isDead(String i, Set<String> dead, Map<String, Integer> livePort) {
    boolean control = i.startsWith("^");
    TensorRef t = TensorRef.parse(control ? i.substring(1) : i);
    if (dead.contains(t.node())) {
      return true;
    }
    Integer port = livePort.get(t.node());
    return port != null && !control && t.index() != port;
  }

  /** Inputs with folded Switch outputs read as the Identity's, a Merge's index as a constant. */
  private static List<String> rewire(List<String> inputs, Map<String, Integer> livePort,
      Map<String, Integer> mergeIndex) {
    List<String> r = new ArrayList<>();
    for (String i : inputs) {
      if (i.startsWith("^")) {
        r.add(i);
        continue;
      }
      TensorRef t = TensorRef.parse(i);
      if (livePort.containsKey(t.node())) {
        r.add(t.node());
      } else if (mergeIndex.containsKey(t.node()) && t.index() == 1) {
        r.add(t.node() + "/value_index");
      } else {
        r.add(i);
      }
    }
    return r;
  }

  /** The predicate of the folded Switch behind {@code tensor} (for the notes), else "?". */
  private static String predicateOf(String tensor, Map<String, NodeDef> byName,
      Map<String, Integer> livePort) {
    Deque<String> todo = new ArrayDeque<>(List.of(TensorRef.parse(tensor).node()));
    Set<String> seen = new HashSet<>();
    while (!todo.isEmpty()) {
      String name = todo.pop();
      NodeDef n = byName.get(name);
      if (n == null || !seen.add(name) || seen.size() > 10_000) {
        continue;
      }
      if (livePort.containsKey(name)) {
        return constantRoot(n.getInput(1), byName);
      }
      n.getInputList().forEach(i -> todo.push(TensorRef.parse(i.replace("^", "")).node()));
    }
    return "?";
  }

  /** The node behind {@code tensor}'s chain of Identity ops when it is a Const, else null. */
  private static String constantRoot(String tensor, Map<String, NodeDef> byName) {
    String name = TensorRef.parse(tensor).node();
    for (int guard = 0; guard < 1000; guard++) {
      NodeDef n = byName.get(name);
      if (n == null) {
        return null;
      }
      if (n.getOp().equals("Const")) {
        return name;
      }
      if (!n.getOp().equals("Identity") || n.getInputCount() == 0) {
        return null;
      }
      name = TensorRef.parse(n.getInput(0)).node();
    }
    return null;
  }

  /** The value of a scalar boolean constant, else null. */
  private static Boolean boolValue(NodeDef c) {
    TensorProto t = c.getAttrOrThrow("value").getTensor();
    if (t.getDtype() != DataType.DT_BOOL) {
      return null;
    }
    if (t.getBoolValCount() >= 1) {
      return t.getBoolVal(0);
    }
    return t.getTensorContent().size() == 1 ? t.getTensorContent().byteAt(0) != 0 : null;
  }

  /** Refuses control flow left on the paths from {@code outputs} back to the inputs. */
  private static void check(Map<String, NodeDef> byName, Collection<String> outputs,
      String source) {
    Deque<String> todo = new ArrayDeque<>();
    outputs.forEach(o -> todo.push(TensorRef.parse(o).node()));
    Set<String> seen = new HashSet<>();
    NodeDef other = null;
    while (!todo.isEmpty()) {
      NodeDef n = byName.get(todo.pop());
      if (n == null || !seen.add(n.getName())) {
        continue;
      }
      if (CONTROL_FLOW.contains(n.getOp()) && other == null) {
        other = n;
      }
      GraphIndex.dataInputs(n).forEach(i -> todo.push(i.node()));
    }
    // the first Switch in the graph's order names the predicate (it is nearest the input)
    for (NodeDef n : byName.values()) {
      if (seen.contains(n.getName())
          && (n.getOp().equals("Switch") || n.getOp().equals("RefSwitch"))) {
        throw new ImportException(refusal(n, byName, source));
      }
    }
    if (other != null) {
      throw new ImportException(Nodes.describe(other) + " on the serving path of " + source
          + " is TF1 control flow (a loop or a conditional) that tf-prune cannot fold: it "
          + "folds only tf.cond-style Switch/Merge pairs whose predicate is fixed at serving "
          + "time; export a serving graph without it");
    }
  }

  private static String refusal(NodeDef sw, Map<String, NodeDef> byName, String source) {
    String predTensor = sw.getInputCount() > 1 ? sw.getInput(1) : "?";
    NodeDef pred = byName.get(TensorRef.parse(predTensor).node());
    for (int guard = 0; pred != null && pred.getOp().equals("Identity") && guard < 1000;
        guard++) {
      pred = byName.get(TensorRef.parse(pred.getInput(0)).node());
    }
    String head = "Switch '" + sw.getName() + "' on the serving path of " + source
        + " is controlled by ";
    if (pred != null && (pred.getOp().equals("Placeholder")
        || pred.getOp().equals("PlaceholderWithDefault"))) {
      return head + "placeholder '" + pred.getName() + "', which has no value at serving time: "
          + "give it its inference value, e.g. --feed " + pred.getName() + "=false for a "
          + "training flag; tf-prune then keeps the branch taken and drops the other";
    }
    return head + (pred == null ? predTensor : Nodes.describe(pred)) + ", a predicate "
        + "computed from the data, not fixed at serving time: tf-prune folds control flow "
        + "only when its predicate is a constant, a PlaceholderWithDefault's default or a "
        + "--feed value. Export a serving graph with the inference branch only (build it with "
        + "training=False) or make the predicate a placeholder such as is_training";
  }

  /** The nodes in an order where every input comes first (nodes on a cycle left out). */
  private static List<NodeDef> topological(GraphDef graph, Map<String, NodeDef> byName) {
    Map<String, Integer> pending = new HashMap<>();
    Map<String, List<String>> consumers = new HashMap<>();
    for (NodeDef n : graph.getNodeList()) {
      int k = 0;
      for (String i : n.getInputList()) {
        String src = TensorRef.parse(i.startsWith("^") ? i.substring(1) : i).node();
        if (byName.containsKey(src)) {
          consumers.computeIfAbsent(src, x -> new ArrayList<>()).add(n.getName());
          k++;
        }
      }
      pending.put(n.getName(), k);
    }
    Deque<String> ready = new ArrayDeque<>();
    pending.forEach((n, k) -> {
      if (k == 0) {
        ready.add(n);
      }
    });
    List<NodeDef> order = new ArrayList<>();
    while (!ready.isEmpty()) {
      String n = ready.poll();
      order.add(byName.get(n));
      for (String c : consumers.getOrDefault(n, List.of())) {
        if (pending.merge(c, -1, Integer::sum) == 0) {
          ready.add(c);
        }
      }
    }
    return order;
  }

  private static NodeDef identity(NodeDef n, String input) {
    NodeDef.Builder b = NodeDef.newBuilder().setName(n.getName()).setOp("Identity")
        .setDevice(n.getDevice()).addInput(input);
    n.getInputList().stream().filter(i -> i.startsWith("^")).forEach(b::addInput);
    if (n.containsAttr("T")) {
      b.putAttr("T", n.getAttrOrThrow("T"));
    }
    return b.build();
  }

  private static NodeDef indexConstant(String name, int value) {
    return NodeDef.newBuilder().setName(name).setOp("Const")
        .putAttr("dtype", AttrValue.newBuilder().setType(DataType.DT_INT32).build())
        .putAttr("value", AttrValue.newBuilder().setTensor(TensorProto.newBuilder()
            .setDtype(DataType.DT_INT32).setTensorShape(TensorShapeProto.getDefaultInstance())
            .addIntVal(value)).build()).build();
  }
}
