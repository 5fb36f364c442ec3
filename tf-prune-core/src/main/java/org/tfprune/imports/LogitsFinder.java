package org.tfprune.imports;

import com.google.common.collect.ImmutableSet;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.tensorflow.proto.NodeDef;

/**
 * Finds the logits among a signature's outputs: the input of the first output that is a Softmax,
 * else the first output a layer op computes, else the first Softmax input or layer output met
 * walking back from an output computed after the network ({@code ArgMax} classes, {@code TopK},
 * a class-name lookup), which is never taken for the logits itself.
 */
final class LogitsFinder {
  /** Ops that end a layer: the logits are the output of one of these. */
  static final ImmutableSet<String> LAYER_OPS = ImmutableSet.of("MatMul", "BiasAdd", "Add",
      "AddV2", "Conv2D", "FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3");

  private LogitsFinder() {}

  static TensorRef find(GraphIndex g, SourceSignature sig, Path source) {
    TensorRef layer = null;
    for (String o : sig.outputs().values()) {
      TensorRef r = g.resolve(TensorRef.parse(o));
      NodeDef n = g.node(r);
      if (n.getOp().equals("Softmax")) {
        return g.resolve(GraphIndex.dataInputs(n).get(0));
      }
      if (layer == null && LAYER_OPS.contains(n.getOp())) {
        layer = r;
      }
    }
    if (layer != null) {
      return layer;
    }
    for (String o : sig.outputs().values()) {
      TensorRef found = back(g, g.resolve(TensorRef.parse(o)));
      if (found != null) {
        return found;
      }
    }
    throw new ImportException("no output of signature '" + sig.key() + "' of " + source
        + " is computed from logits: tf-prune looks for a Softmax or the output of a dense or "
        + "conv layer (MatMul, BiasAdd, Add, Conv2D, FusedBatchNorm) among the outputs and the "
        + "ops that compute them. Export the model with its logits or probabilities among the "
        + "outputs");
  }

  /** The first Softmax input or layer output on the way back from {@code t}. */
  private static TensorRef back(GraphIndex g, TensorRef t) {
    Deque<TensorRef> todo = new ArrayDeque<>(List.of(t));
    Set<String> seen = new HashSet<>();
    while (!todo.isEmpty()) {
      TensorRef r = g.resolve(todo.removeFirst());
      if (!seen.add(r.node())) {
        continue;
      }
      NodeDef n = g.node(r);
      if (n.getOp().equals("Softmax")) {
        return g.resolve(GraphIndex.dataInputs(n).get(0));
      }
      if (LAYER_OPS.contains(n.getOp()) && !r.equals(t)) {
        return r;
      }
      if (GraphIndex.WEIGHT_OPS.contains(n.getOp()) || n.getOp().startsWith("Placeholder")) {
        continue;
      }
      todo.addAll(GraphIndex.dataInputs(n));
    }
    return null;
  }
}
