package org.tfprune.imports;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
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
import org.tfprune.export.ServingContract;
import org.tfprune.export.ServingSignature;
import org.tfprune.slice.HostTensor;

/**
 * Reads a model's whole serving contract around its network: every signature, the fixed prefix
 * between the inputs and the network input, and the fixed suffix computed from the logits
 * (softmax, ArgMax classes, TopK, a class-name lookup by GatherV2 or in a hash table filled
 * from constants or a text file, {@link TableLookups}). Weights the fixed regions read become
 * constants. The network itself (from the network input to the logits) is left out: the export
 * puts the pruned network in its place.
 */
final class ContractReader {
  /**
   * Ops that need an initialized table: not kept (their table would be empty), except a lookup
   * in a table of fixed contents ({@link TableLookups}).
   */
  private static final ImmutableSet<String> TABLES = ImmutableSet.of("HashTable", "HashTableV2",
      "MutableHashTable", "MutableHashTableV2", "LookupTableFind", "LookupTableFindV2");
  /** Ops of a network's layers: another signature running them before the logits is not kept. */
  private static final ImmutableSet<String> LAYERS = ImmutableSet.of("MatMul", "BatchMatMul",
      "BatchMatMulV2", "BatchMatMulV3", "Einsum", "Conv2D", "Conv3D", "DepthwiseConv2dNative");

  private final GraphIndex g;
  private final SourceModel source;
  private final TensorRef logits;
  private final TensorRef networkInput;
  private final Set<String> network;
  private final List<String> notes;
  /** Nodes written in place of a source node (a table lookup), before it, by its name. */
  private final Map<String, List<NodeDef>> added = new LinkedHashMap<>();

  private ContractReader(GraphIndex g, SourceModel source, TensorRef logits,
      TensorRef networkInput, List<String> notes) {
    this.notes = notes;
    this.g = g;
    this.source = source;
    this.logits = logits;
    this.networkInput = networkInput;
    this.network = network();
  }

  /**
   * The chosen signature as the export re-creates it: with a {@link ServingContract} when the
   * model has other signatures, a prefix, or outputs other than the logits and their softmax.
   * Another signature that cannot be kept (it reads an activation inside the network, or runs
   * layers of another network) is left out with a note in {@code notes}.
   */
  static ServingSignature read(GraphIndex g, SourceModel source, TensorRef logits,
      TensorRef networkInput, List<String> notes) {
    return new ContractReader(g, source, logits, networkInput, notes).read();
  }

  private ServingSignature read() {
    SourceSignature sig = source.signature();
    List<ServingSignature.Output> outs = new ArrayList<>();
    boolean simple = source.signatures().size() <= 1 && sig.otherInputs().isEmpty()
        && TensorRef.parse(sig.inputTensor()).equals(networkInput)
        && g.node(networkInput).getOp().equals("Placeholder");
    for (Map.Entry<String, String> o : sig.outputs().entrySet()) {
      ServingSignature.Kind kind = kind(TensorRef.parse(o.getValue()));
      simple &= kind != ServingSignature.Kind.DERIVED && o.getValue().endsWith(":0");
      outs.add(new ServingSignature.Output(o.getKey(), o.getValue(), kind));
    }
    String method = sig.methodName().isEmpty() ? ServingSignature.PREDICT_METHOD
        : sig.methodName();
    try {
      return new ServingSignature(sig.key(), method, sig.inputKey(), sig.inputTensor(),
          ImmutableList.copyOf(outs), simple ? null : contract());
    } catch (IllegalArgumentException e) {
      throw new ImportException("the signature '" + sig.key() + "' of " + source.path()
          + " cannot be re-created: " + e.getMessage());
    }
  }

  private ServingSignature.Kind kind(TensorRef t) {
    TensorRef r = g.resolve(t);
    if (r.equals(logits)) {
      return ServingSignature.Kind.LOGITS;
    }
    NodeDef n = g.node(r);
    if (n.getOp().equals("Softmax") && g.resolve(GraphIndex.dataInputs(n).get(0)).equals(logits)) {
      return ServingSignature.Kind.PROBABILITIES;
    }
    return ServingSignature.Kind.DERIVED;
  }

  /** The nodes from the network input (exclusive) to the logits (inclusive), weights included. */
  private Set<String> network() {
    Set<String> n = new HashSet<>();
    Deque<String> todo = new ArrayDeque<>(List.of(logits.node()));
    while (!todo.isEmpty()) {
      String name = todo.pop();
      if (name.equals(networkInput.node()) || !n.add(name)) {
        continue;
      }
      GraphIndex.dataInputs(g.node(name)).forEach(i -> todo.push(i.node()));
    }
    return n;
  }

  private ServingContract contract() {
    List<ServingContract.Signature> sigs = new ArrayList<>();
    Map<String, String> kept = new LinkedHashMap<>();
    Map<String, NodeDef> fixed = new LinkedHashMap<>();
    collect(List.of(networkInput), fixed, kept);
    for (ServingContract.Signature s : source.signatures()) {
      boolean chosen = s.key().equals(source.signature().key());
      Map<String, String> k = new LinkedHashMap<>();
      Map<String, NodeDef> f = new LinkedHashMap<>();
      try {
        List<TensorRef> starts = new ArrayList<>();
        for (Map.Entry<String, String> e : s.inputs().entrySet()) {
          TensorRef t = TensorRef.parse(e.getValue());
          if (network.contains(t.node()) && !t.node().equals(logits.node())) {
            throw new ImportException("input '" + e.getKey() + "' of signature '" + s.key()
                + "' of " + source.path() + " is " + t + ", inside the network tf-prune "
                + "prunes: its width changes, so that signature cannot be kept. Export the "
                + "model without it, or pass --signature with another one");
          }
          starts.add(t);
        }
        s.outputs().values().forEach(t -> starts.add(TensorRef.parse(t)));
        collect(starts, f, k);
        if (!chosen) {
          refuseOtherNetwork(s, f);
        }
      } catch (ImportException e) {
        if (chosen) {
          throw e;
        }
        notes.add("signature '" + s.key() + "' is not exported: " + e.getMessage());
        continue;
      }
      fixed.putAll(f);
      kept.putAll(k);
      sigs.add(s.methodName().isEmpty() ? new ServingContract.Signature(s.key(),
          ServingSignature.PREDICT_METHOD, s.inputs(), s.outputs()) : s);
    }
    Set<String> after = afterLogits(fixed);
    GraphDef.Builder before = GraphDef.newBuilder();
    GraphDef.Builder suffix = GraphDef.newBuilder();
    for (NodeDef n : g.nodes()) { // the source's order: inputs before their consumers
      NodeDef f = fixed.get(n.getName());
      for (NodeDef h : f == null ? List.<NodeDef>of() : added.getOrDefault(n.getName(),
          List.of())) {
        (after.contains(h.getName()) ? suffix : before).addNode(h);
      }
      if (f != null) {
        (after.contains(n.getName()) ? suffix : before).addNode(f);
      }
    }
    Map<String, String> why = new LinkedHashMap<>();
    for (NodeDef n : g.nodes()) {
      if (kept.containsKey(n.getName())) {
        why.put(n.getName(), (after.contains(n.getName()) ? "after the logits: " : "before the "
            + "network: ") + kept.get(n.getName()));
      }
    }
    return new ServingContract(ImmutableList.copyOf(sigs), before.build(), suffix.build(),
        networkInput.toString(), logits.node(), ImmutableMap.copyOf(why));
  }

  /**
   * Adds to {@code fixed} the nodes {@code starts} need, back to the logits, the inputs and
   * constants (variables become constants); refuses a node inside the network.
   */
  private void collect(List<TensorRef> starts, Map<String, NodeDef> fixed,
      Map<String, String> kept) {
    Deque<TensorRef> todo = new ArrayDeque<>(starts);
    Set<String> seen = new HashSet<>();
    while (!todo.isEmpty()) {
      TensorRef t = todo.pop();
      String name = t.node();
      if (name.equals(logits.node()) || !seen.add(name)) {
        continue;
      }
      NodeDef n = g.node(name);
      boolean weight = GraphIndex.WEIGHT_OPS.contains(n.getOp())
          || n.getOp().equals("ReadVariableOp");
      if (!weight && network.contains(name)) {
        throw new ImportException("an output of " + source.path() + " reads " + n.getOp() + " "
            + name + ", inside the network tf-prune prunes (its width changes): tf-prune keeps "
            + "outputs computed from the logits (" + logits + ") and from the inputs only. "
            + "Export the model with outputs that read the logits or their softmax");
      }
      if (TableLookups.isLookup(n)) {
        TableLookups.Replacement r = TableLookups.asGather(n, g, source);
        List<NodeDef> helpers = r.nodes().subList(0, r.nodes().size() - 1);
        if (added.put(name, helpers) == null) {
          notes.add(n.getOp() + " " + name + " looks up values (e.g. class names) in a hash "
              + "table filled from " + r.filledFrom() + ": kept as constants and GatherV2 with "
              + "the same value for each of its " + r.entries() + " keys and its default for "
              + "other keys; the export holds no table and needs no init op");
        }
        helpers.forEach(h -> fixed.put(h.getName(), h));
        fixed.put(name, r.nodes().get(r.nodes().size() - 1));
        kept.put(name, n.getOp() + " (values from a table filled from " + r.filledFrom()
            + ", kept as constants and GatherV2: the same value for each of its " + r.entries()
            + " keys, its default for other keys)");
        todo.push(r.keys());
        continue;
      }
      if (TABLES.contains(n.getOp())) {
        throw new ImportException(n.getOp() + " " + name + " of " + source.path() + " looks up "
            + "a table that needs initializing, which tf-prune does not keep: write the class "
            + "names as a constant and look them up with GatherV2 (tf.gather) instead");
      }
      if (weight && !n.getOp().equals("Const")) {
        fixed.put(name, constant(name));
        kept.put(name, "weight read by a kept op, kept as a constant");
        continue;
      }
      fixed.put(name, withoutControlInputs(n));
      kept.put(name, reason(n));
      GraphIndex.dataInputs(n).forEach(todo::push);
    }
  }

  /**
   * Refuses another signature whose outputs run layers of their own before (or without) the
   * logits: a network other than the one tf-prune prunes, which the export would otherwise
   * carry unpruned.
   */
  private void refuseOtherNetwork(ServingContract.Signature s, Map<String, NodeDef> fixed) {
    Set<String> after = afterLogits(fixed);
    for (NodeDef n : fixed.values()) {
      if (LAYERS.contains(n.getOp()) && !after.contains(n.getName())) {
        throw new ImportException("it computes its outputs through " + n.getOp() + " "
            + n.getName() + ", a layer outside the network that signature '"
            + source.signature().key() + "' reaches (" + networkInput + " to " + logits
            + "): it runs another network, which tf-prune neither prunes nor copies. Prune "
            + "it on its own with --signature " + s.key());
      }
    }
  }

  /** The fixed nodes that read the logits, directly or through other fixed nodes. */
  private Set<String> afterLogits(Map<String, NodeDef> fixed) {
    Set<String> after = new HashSet<>();
    boolean grew = true;
    while (grew) {
      grew = false;
      for (NodeDef n : fixed.values()) {
        if (after.contains(n.getName())) {
          continue;
        }
        for (TensorRef i : GraphIndex.dataInputs(n)) {
          if (i.node().equals(logits.node()) || after.contains(i.node())) {
            after.add(n.getName());
            grew = true;
            break;
          }
        }
      }
    }
    return after;
  }

  private static NodeDef withoutControlInputs(NodeDef n) {
    NodeDef.Builder b = n.toBuilder().clearInput().clearDevice();
    n.getInputList().stream().filter(i -> !i.startsWith("^")).forEach(b::addInput);
    return b.build();
  }

  /** A variable read by a kept op, as a constant of its current value. */
  private NodeDef constant(String name) {
    HostTensor v = source.value(name);
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long d : v.shape()) {
      shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    TensorProto.Builder t = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
        .setTensorShape(shape);
    for (float f : v.values()) {
      t.addFloatVal(f);
    }
    return NodeDef.newBuilder().setName(name).setOp("Const")
        .putAttr("dtype", AttrValue.newBuilder().setType(DataType.DT_FLOAT).build())
        .putAttr("value", AttrValue.newBuilder().setTensor(t).build()).build();
  }

  /** Why a node is kept, for people reading {@code tf-prune inspect}. */
  private String reason(NodeDef n) {
    String op = n.getOp();
    if (op.equals("Placeholder") || op.equals("PlaceholderWithDefault")) {
      return op + " (a signature input)";
    }
    if (op.equals("Const")) {
      return "Const (a constant a kept op reads)";
    }
    if (NetworkInput.PARSERS.contains(op)) {
      return op + " (parses serialized tf.Example inputs)";
    }
    if (NetworkInput.RESCALING.contains(op) && !readsLogits(n)) {
      return op + " (rescales the input by a constant, as a Rescaling or Normalization layer)";
    }
    if (NetworkInput.RESHAPES.contains(op) && !readsLogits(n)) {
      return op + " (gives the input the shape the first layer reads)";
    }
    return switch (op) {
      case "Softmax" -> "Softmax (probabilities)";
      case "ArgMax" -> "ArgMax (class ids)";
      case "TopKV2", "TopK" -> op + " (top-k scores and indices)";
      case "GatherV2", "Gather" -> op + " (looks up values, e.g. class names)";
      case "Identity" -> "Identity (names a tensor a signature lists)";
      default -> op + " (not part of a layer tf-prune prunes)";
    };
  }

  private boolean readsLogits(NodeDef n) {
    return GraphIndex.dataInputs(n).stream().anyMatch(i -> i.node().equals(logits.node()));
  }
}
