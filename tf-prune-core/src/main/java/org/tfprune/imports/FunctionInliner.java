package org.tfprune.imports;

import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;

/**
 * Flattens the serving path of a graph whose ops live in its function library (Python TF2): from
 * the requested tensors it follows {@code StatefulPartitionedCall} / {@code PartitionedCall}
 * (and direct calls of library functions) into the function bodies, nested calls included, and
 * writes the ops it reaches into one flat GraphDef. Function arguments become the caller's
 * tensors, a call's outputs the callee's {@code ret} tensors, {@code node:output_arg:index} names
 * become {@code node:k}; control inputs are dropped (on an inference path they only order
 * variable reads). A body's nodes keep their names under the call node's scope
 * ({@code sequential/dense/StatefulPartitionedCall} puts {@code MatMul} at
 * {@code sequential/dense/MatMul}); a taken name moves under the call node's full name. A
 * top-level call whose output is requested becomes an {@code Identity} (or {@code IdentityN})
 * under the call's own name, so the signature's tensor names hold in the flat graph.
 */
final class FunctionInliner {
  private static final ImmutableSet<String> CALLS = ImmutableSet.of("StatefulPartitionedCall",
      "PartitionedCall");
  private static final int MAX_DEPTH = 64;

  /** The flat graph and, for each {@code ReadVariableOp} in it, the variable handle it reads. */
  record Flat(GraphDef graph, ImmutableMap<String, String> reads) {}

  /** A graph or function body being inlined at one call site. */
  private record Frame(String id, FunctionDef function, Map<String, NodeDef> nodes,
      Frame caller, NodeDef call, String scope, String fallback, int depth, String where) {}

  private final GraphDef graph;
  private final String source;
  private final Map<String, FunctionDef> library = new HashMap<>();
  private final OutputArgs outputArgs;
  private final Frame top;
  private final Map<String, NodeDef> emitted = new LinkedHashMap<>();
  private final Map<String, String> flatNames = new HashMap<>();
  private final Set<String> inProgress = new HashSet<>();
  private final Set<String> used = new HashSet<>();
  private final Map<String, Frame> frames = new HashMap<>();

  private FunctionInliner(GraphDef graph, String source) {
    this.graph = graph;
    this.source = source;
    graph.getLibrary().getFunctionList().forEach(f -> library.put(f.getSignature().getName(),
        f));
    this.outputArgs = new OutputArgs(graph.getLibrary());
    Map<String, NodeDef> nodes = new LinkedHashMap<>();
    graph.getNodeList().forEach(n -> nodes.put(n.getName(), n));
    used.addAll(nodes.keySet());
    this.top = new Frame("", null, nodes, null, null, "", "", 0, "the graph of " + source);
  }

  /**
   * The flat graph computing {@code tensors} (top-level tensor names such as
   * {@code StatefulPartitionedCall:0} or {@code serving_default_x:0}) under the same names.
   *
   * @param what names the tensors for messages, by tensor ("output 'dense_1' of signature
   *     'serving_default'")
   */
  static Flat flatten(GraphDef graph, Map<String, String> what, String source) {
    FunctionInliner f = new FunctionInliner(graph, source);
    what.forEach(f::request);
    return f.build();
  }

  static Flat flatten(GraphDef graph, Collection<String> tensors, String source) {
    Map<String, String> what = new LinkedHashMap<>();
    tensors.forEach(t -> what.put(t, "tensor " + t));
    return flatten(graph, what, source);
  }

  private void request(String tensor, String what) {
    TensorRef t = TensorRef.parse(tensor);
    NodeDef n = top.nodes().get(t.node());
    if (n == null) {
      throw new ImportException(what + " of " + source + " is '" + tensor + "', but its graph "
          + "holds no node '" + t.node() + "': the signature does not match the graph "
          + "(saved_model.pb was edited or is damaged); export the model again");
    }
    String callee = callee(n, top);
    if (callee == null) {
      resolve(top, tensor);
      return;
    }
    if (emitted.containsKey(n.getName())) {
      return;
    }
    Frame c = frame(top, n, callee);
    List<OpDef.ArgDef> outs = c.function().getSignature().getOutputArgList();
    if (t.index() >= outs.size()) {
      throw new ImportException(what + " of " + source + " is '" + tensor + "', but function "
          + callee + " called there has " + outs.size() + " output(s): the signature does not "
          + "match the graph; export the model again");
    }
    List<String> ins = new ArrayList<>();
    AttrValue.ListValue.Builder types = AttrValue.ListValue.newBuilder();
    for (OpDef.ArgDef a : outs) {
      ins.add(ret(c, a.getName()));
      types.addType(argType(a, c));
    }
    NodeDef.Builder b = NodeDef.newBuilder().setName(n.getName()).addAllInput(ins);
    if (outs.size() == 1) {
      b.setOp("Identity").putAttr("T", AttrValue.newBuilder().setType(types.getType(0)).build());
    } else {
      b.setOp("IdentityN").putAttr("T", AttrValue.newBuilder().setList(types).build());
    }
    emitted.put(n.getName(), b.build());
  }

  private static DataType argType(OpDef.ArgDef a, Frame f) {
    if (a.getType() == DataType.DT_INVALID) {
      throw new ImportException(f.where() + " has output '" + a.getName() + "' of a type set by "
          + "an attribute (a polymorphic function); tf-prune reads concrete serving functions "
          + "as tf.saved_model.save writes them");
    }
    return a.getType();
  }

  private Flat build() {
    Map<String, String> reads = new LinkedHashMap<>();
    for (NodeDef n : emitted.values()) {
      if (!n.getOp().equals("ReadVariableOp")) {
        continue;
      }
      String handle = TensorRef.parse(n.getInput(0)).node();
      for (int guard = 0; guard <= emitted.size(); guard++) {
        NodeDef h = emitted.get(handle);
        if (h == null || !h.getOp().equals("Identity")) {
          break;
        }
        handle = TensorRef.parse(h.getInput(0)).node();
      }
      NodeDef h = emitted.get(handle);
      if (h == null || !h.getOp().equals("VarHandleOp")) {
        throw new ImportException("node " + n.getName() + " on the serving path of " + source
            + " reads a variable through " + (h == null ? handle : h.getOp() + " " + handle)
            + " instead of a VarHandleOp of the graph: tf-prune reads variables that the "
            + "serving function captures from the top-level graph; export the model with "
            + "tf.saved_model.save or model.save");
      }
      reads.put(n.getName(), handle);
    }
    GraphDef flat = GraphDef.newBuilder().setVersions(graph.getVersions())
        .addAllNode(emitted.values()).build();
    return new Flat(flat, ImmutableMap.copyOf(reads));
  }

  /** The function a node calls, or null for an ordinary op. */
  private String callee(NodeDef n, Frame f) {
    if (CALLS.contains(n.getOp())) {
      AttrValue fn = n.getAttrMap().get("f");
      if (fn == null || fn.getFunc().getName().isEmpty()) {
        throw new ImportException("node " + n.getName() + " (" + n.getOp() + ") in " + f.where()
            + " names no function to call: saved_model.pb is damaged; export the model again");
      }
      return fn.getFunc().getName();
    }
    return library.containsKey(n.getOp()) ? n.getOp() : null;
  }

  /** The frame of the function that node {@code call} of {@code f} calls. */
  private Frame frame(Frame f, NodeDef call, String callee) {
    String id = f.id() + "\u0000" + call.getName();
    Frame c = frames.get(id);
    if (c != null) {
      return c;
    }
    FunctionDef fn = library.get(callee);
    if (fn == null) {
      throw new ImportException("the serving path of " + source + " calls function '" + callee
          + "' (node " + call.getName() + " in " + f.where() + "), which the graph's function "
          + "library does not hold: saved_model.pb is incomplete or was edited; copy it again "
          + "or export the model again");
    }
    if (f.depth() >= MAX_DEPTH) {
      throw new ImportException("the serving path of " + source + " nests function calls more "
          + "than " + MAX_DEPTH + " deep (at " + callee + "): a recursive function library? "
          + "tf-prune reads networks whose serving functions call each other without cycles");
    }
    long data = call.getInputList().stream().filter(i -> !i.startsWith("^")).count();
    if (data != fn.getSignature().getInputArgCount()) {
      throw new ImportException("node " + call.getName() + " in " + f.where() + " passes " + data
          + " inputs to function " + callee + ", which takes " + fn.getSignature()
          .getInputArgCount() + ": saved_model.pb is damaged; export the model again");
    }
    Map<String, NodeDef> nodes = new LinkedHashMap<>();
    fn.getNodeDefList().forEach(n -> nodes.put(n.getName(), n));
    String name = call.getName();
    int slash = name.lastIndexOf('/');
    c = new Frame(id, fn, nodes, f, call, f.scope() + (slash >= 0 ? name.substring(0, slash + 1)
        : ""), f.fallback() + name + "/", f.depth() + 1, "function " + callee + " (called by "
        + f.fallback() + name + ")");
    frames.put(id, c);
    return c;
  }

  private String ret(Frame c, String outputArg) {
    String r = c.function().getRetMap().get(outputArg);
    if (r == null) {
      throw new ImportException(c.where() + " returns nothing for its output '" + outputArg
          + "': the function library is damaged; export the model again");
    }
    return resolve(c, r);
  }

  /** The flat tensor ({@code node:k}) that {@code ref}, named inside frame {@code f}, is. */
  private String resolve(Frame f, String ref) {
    String node;
    String arg = null;
    int index;
    if (f.function() == null) {
      TensorRef t = TensorRef.parse(ref);
      node = t.node();
      index = t.index();
    } else {
      List<OpDef.ArgDef> args = f.function().getSignature().getInputArgList();
      for (int i = 0; i < args.size(); i++) {
        if (args.get(i).getName().equals(ref)) {
          List<String> data = f.call().getInputList().stream().filter(s -> !s.startsWith("^"))
              .toList();
          return resolve(f.caller(), data.get(i));
        }
      }
      String[] parts = ref.split(":", -1);
      if (parts.length < 2 || parts.length > 3) {
        throw new ImportException(f.where() + " refers to '" + ref + "', which is neither one "
            + "of its arguments nor node:output:index: the function library is damaged; "
            + "export the model again");
      }
      node = parts[0];
      arg = parts[1];
      try {
        index = parts.length == 3 ? Integer.parseInt(parts[2]) : 0;
      } catch (NumberFormatException e) {
        throw new ImportException(f.where() + " refers to '" + ref + "', whose output index is "
            + "not a number: the function library is damaged; export the model again", e);
      }
    }
    NodeDef n = f.nodes().get(node);
    if (n == null) {
      throw new ImportException(f.where() + " of " + source + " refers to a node '" + node
          + "' it does not hold: saved_model.pb is truncated or was edited; export the model "
          + "again");
    }
    int k = arg == null ? index : outputArgs.index(n, arg, index, f.where());
    String callee = callee(n, f);
    if (callee != null) {
      Frame c = frame(f, n, callee);
      List<OpDef.ArgDef> outs = c.function().getSignature().getOutputArgList();
      if (k >= outs.size()) {
        throw new ImportException(f.where() + " uses output " + k + " of node " + node
            + ", but function " + callee + " has " + outs.size() + ": the function library "
            + "is damaged; export the model again");
      }
      return ret(c, outs.get(k).getName());
    }
    return emit(f, n) + ":" + k;
  }

  /** Writes node {@code n} of frame {@code f} into the flat graph; returns its flat name. */
  private String emit(Frame f, NodeDef n) {
    String key = f.id() + "\u0000" + n.getName();
    String done = flatNames.get(key);
    if (done != null) {
      return done;
    }
    if (!inProgress.add(key)) {
      throw new ImportException(f.where() + " of " + source + " has a cycle at node "
          + n.getName() + ": the graph is damaged; export the model again");
    }
    String name = f.function() == null ? n.getName() : fresh(f, n.getName());
    NodeDef.Builder b = NodeDef.newBuilder().setName(name).setOp(n.getOp());
    for (Map.Entry<String, AttrValue> a : n.getAttrMap().entrySet()) {
      if (a.getKey().startsWith("_")) {
        continue; // shapes, colocation and other hints for the runtime
      }
      AttrValue v = a.getValue();
      if (!v.getPlaceholder().isEmpty()) {
        throw new ImportException("node " + n.getName() + " in " + f.where() + " takes its "
            + "attribute '" + a.getKey() + "' from the function's attribute '"
            + v.getPlaceholder() + "' (a polymorphic function); tf-prune reads concrete "
            + "serving functions as tf.saved_model.save writes them");
      }
      if (v.hasFunc() || v.getList().getFuncCount() > 0) {
        throw new ImportException("node " + n.getName() + " (" + n.getOp() + ") in "
            + f.where() + " runs functions (control flow such as If or While) on the serving "
            + "path; tf-prune maps networks whose serving path is a straight line of ops");
      }
      b.putAttr(a.getKey(), v);
    }
    OpDef def = outputArgs.opDef(n.getOp());
    if (def != null) {
      for (OpDef.AttrDef a : def.getAttrList()) {
        if (a.hasDefaultValue() && !b.containsAttr(a.getName())) {
          b.putAttr(a.getName(), a.getDefaultValue());
        }
      }
    }
    for (String in : n.getInputList()) {
      if (!in.startsWith("^")) {
        b.addInput(resolve(f, in));
      }
    }
    inProgress.remove(key);
    flatNames.put(key, name);
    emitted.put(name, b.build());
    return name;
  }

  /** A flat name for body node {@code node}: under the call's scope, else under the call. */
  private String fresh(Frame f, String node) {
    String preferred = f.scope() + node;
    if (used.add(preferred)) {
      return preferred;
    }
    String full = f.fallback() + node;
    String name = full;
    for (int i = 1; !used.add(name); i++) {
      name = full + "_" + i;
    }
    return name;
  }
}
