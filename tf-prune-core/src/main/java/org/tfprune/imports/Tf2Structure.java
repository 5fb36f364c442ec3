package org.tfprune.imports;

import com.google.common.collect.ImmutableSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/**
 * The marks of a graph written by Python TensorFlow 2 ({@code tf.saved_model.save}): ops inside
 * function definitions of the graph's library, called through {@code StatefulPartitionedCall};
 * resource variables ({@code VarHandleOp}, {@code ReadVariableOp}); an object graph. A SavedModel
 * with these marks is read through {@link Tf2SavedModelReader}; a GraphDef file with them has no
 * variables to restore and is refused with {@link #message}.
 */
record Tf2Structure(int functions, ImmutableSet<String> callOps, ImmutableSet<String> resourceOps,
    boolean objectGraph) {
  private static final ImmutableSet<String> CALLS = ImmutableSet.of("StatefulPartitionedCall",
      "PartitionedCall");
  private static final ImmutableSet<String> RESOURCES = ImmutableSet.of("VarHandleOp",
      "ReadVariableOp", "AssignVariableOp", "ResourceGather", "VariableShape");

  /** The TF2 marks of {@code graph}, if it has any that tf-prune cannot read. */
  static Optional<Tf2Structure> detect(GraphDef graph, boolean objectGraph) {
    TreeSet<String> calls = new TreeSet<>();
    TreeSet<String> resources = new TreeSet<>();
    List<NodeDef> nodes = new ArrayList<>(graph.getNodeList());
    graph.getLibrary().getFunctionList().forEach(f -> nodes.addAll(f.getNodeDefList()));
    for (NodeDef n : nodes) {
      if (CALLS.contains(n.getOp())) {
        calls.add(n.getOp());
      } else if (RESOURCES.contains(n.getOp())) {
        resources.add(n.getOp());
      }
    }
    int functions = graph.getLibrary().getFunctionCount();
    boolean tf2 = !resources.isEmpty() || (!calls.isEmpty() && functions > 0);
    return tf2 ? Optional.of(new Tf2Structure(functions, ImmutableSet.copyOf(calls),
        ImmutableSet.copyOf(resources), objectGraph)) : Optional.empty();
  }

  /** What was found, what is supported and how to get there. */
  String message(String source) {
    List<String> marks = new ArrayList<>();
    if (!callOps.isEmpty()) {
      marks.add("its graph calls " + String.join(" and ", callOps) + " and its ops live in "
          + functions + " function definition" + (functions == 1 ? "" : "s")
          + " of the graph's library");
    }
    if (!resourceOps.isEmpty()) {
      marks.add("its variables are resource variables (" + String.join(", ", resourceOps) + ")");
    }
    if (objectGraph) {
      marks.add("it carries a TF2 object graph");
    }
    return source + " holds a graph written by Python TensorFlow 2: "
        + String.join("; ", marks) + ". tf-prune reads such a model from its SavedModel "
        + "directory (saved_model.pb with its variables/), whose serving functions it inlines "
        + "and whose variables TensorFlow restores: pass the directory instead. A GraphDef file "
        + "is read only when frozen (weights as constants, no function calls)";
  }
}
