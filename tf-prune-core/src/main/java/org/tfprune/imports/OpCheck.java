package org.tfprune.imports;

import com.google.common.collect.ImmutableSet;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.tensorflow.proto.NodeDef;

/**
 * The check before any matching: the input is the only placeholder the paths from the outputs
 * need, and they do not gather or slice the input features (a tf-prune export with pruned
 * inputs). Other ops the importer does not map are kept as fixed regions.
 */
final class OpCheck {
  /** Ops the mapper reads; others on the path become fixed regions ({@link FixedRegions}). */
  static final ImmutableSet<String> SUPPORTED = ImmutableSet.of("Identity", "Relu", "Relu6",
      "Sigmoid", "Tanh", "LeakyRelu", "MatMul", "BiasAdd", "Add", "AddV2", "Conv2D",
      "DepthwiseConv2dNative", "FusedBatchNorm",
      "FusedBatchNormV2", "FusedBatchNormV3", "MaxPool", "MaxPoolV2", "AvgPool", "Pad", "PadV2",
      "Reshape", "Mean", "Softmax");

  /** Ops the mapper reads when one operand is a weight: Keras's unfused batch norm. */
  static final ImmutableSet<String> PER_UNIT = ImmutableSet.of("Mul", "Sub");

  private OpCheck() {}

  /** Whether exactly one of a binary op's operands is a weight. */
  private static boolean perUnit(GraphIndex graph, NodeDef n) {
    List<TensorRef> in = GraphIndex.dataInputs(n);
    return in.size() == 2 && graph.isWeight(in.get(0)) != graph.isWeight(in.get(1));
  }

  /**
   * Lists every op on the paths from the logits back to the input that the mapper cannot read,
   * and every other placeholder those paths need; refuses the model if there is any.
   */
  static void check(SourceModel source, GraphIndex graph, TensorRef input, TensorRef logits) {
    Map<String, Set<String>> unsupported = new TreeMap<>();
    Set<String> placeholders = new TreeSet<>();
    Deque<String> todo = new ArrayDeque<>(List.of(logits.node()));
    Set<String> seen = new HashSet<>();
    while (!todo.isEmpty()) {
      String name = todo.pop();
      if (!seen.add(name) || name.equals(input.node())) {
        continue;
      }
      NodeDef n = graph.node(name);
      String op = n.getOp();
      if (graph.isWeight(new TensorRef(name, 0))) {
        continue; // a weight, or arithmetic on weights alone (read as its value)
      }
      if (op.equals("Placeholder")) {
        placeholders.add(name);
      } else if (!SUPPORTED.contains(op) && !(PER_UNIT.contains(op) && perUnit(graph, n))) {
        unsupported.computeIfAbsent(op, k -> new TreeSet<>()).add(name);
      }
      List<TensorRef> ins = GraphIndex.dataInputs(n);
      // shapes, axes and windows given as tensors are read as constants, not walked
      int follow = switch (op) {
        case "Reshape", "Mean", "MaxPoolV2", "Pad", "PadV2" -> Math.min(1, ins.size());
        default -> ins.size();
      };
      for (int i = 0; i < follow; i++) {
        todo.push(ins.get(i).node());
      }
    }
    // other ops it does not map are kept as fixed regions (FixedRegions); a gather or slice of
    // the input features is how a tf-prune export reads the features it kept
    if (unsupported.containsKey("GatherV2") || unsupported.containsKey("Slice")) {
      List<String> found = new ArrayList<>();
      int count = 0;
      for (Map.Entry<String, Set<String>> e : unsupported.entrySet()) {
        count += e.getValue().size();
        List<String> nodes = new ArrayList<>(e.getValue());
        found.add(e.getKey() + " (" + String.join(", ", nodes.subList(0, Math.min(4,
            nodes.size()))) + (nodes.size() > 4 ? ", ... " + nodes.size() + " nodes" : "") + ")");
      }
      String fix = unsupported.containsKey("GatherV2") || unsupported.containsKey("Slice")
          ? ". A GatherV2 or Slice on the input is how a tf-prune export whose input features "
              + "were "
              + "pruned selects the features it kept: tf-prune does not prune such a model "
              + "again; prune the model it was trained from (or train it again) with a higher "
              + "--strength instead"
          : ". Rewrite those parts with these ops (e.g. Relu for the activation) and export "
              + "the model again, or leave training-only ops (dropout, summaries) out of the "
              + "serving graph";
      String feed = placeholders.isEmpty() ? "" : ". The path also reads placeholder"
          + (placeholders.size() == 1 ? " " : "s ") + placeholders + " (a dropout rate or a "
          + "training flag?): with --feed " + placeholders.iterator().next() + "=1 (a keep "
          + "probability of 1) tf-prune reads TF1 dropout as the identity it then is";
      throw new ImportException("tf-prune cannot map " + count + " op" + (count == 1 ? "" : "s")
          + " on the path from the outputs of " + source.path() + " to its input "
          + input.node() + ": " + String.join("; ", found) + ". It maps "
          + LayerMatcher.SUPPORTED_TEXT
          + fix + feed);
    }
    if (!placeholders.isEmpty()) {
      throw new ImportException("the outputs of " + source.path() + " depend on placeholder"
          + (placeholders.size() == 1 ? " " : "s ") + placeholders + " besides the input "
          + input.node() + " (a dropout rate or a training flag?): give each the value it has "
          + "at inference, e.g. --feed " + placeholders.iterator().next() + "=1 (a keep "
          + "probability), or export a serving graph that depends on its input only");
    }
  }
}
