package org.tfprune.imports;

import com.google.common.collect.ImmutableSet;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorInfo;

/**
 * The inputs of a signature with more than one: which one feeds the network (the one whose
 * consumers run the most layer ops; when layers sit behind function calls, as in a Python TF2
 * SavedModel, the float input of rank two or more with the most values per example, else the
 * string input a tf.Example parser reads), and the refusal of logits that read a second input. The
 * others feed outputs that do not read the logits (a key passed through) and are kept unchanged.
 */
final class SignatureInputs {
  /** Ops of a network's layers. */
  private static final ImmutableSet<String> LAYERS = ImmutableSet.of("MatMul", "BatchMatMul",
      "BatchMatMulV2", "BatchMatMulV3", "Einsum", "Conv2D", "Conv3D", "DepthwiseConv2dNative");

  private SignatureInputs() {}

  /** The key of the input that feeds the network among {@code inputs} (at least two). */
  static String networkInput(GraphDef graph, Map<String, TensorInfo> inputs, String sig,
      Path dir) {
    Map<String, List<String>> consumers = new HashMap<>();
    for (NodeDef n : graph.getNodeList()) {
      for (String i : n.getInputList()) {
        if (!i.startsWith("^")) {
          consumers.computeIfAbsent(TensorRef.parse(i).node(), k -> new ArrayList<>())
              .add(n.getName());
        }
      }
    }
    Map<String, NodeDef> byName = new HashMap<>();
    graph.getNodeList().forEach(n -> byName.put(n.getName(), n));
    Map<String, Integer> layers = new TreeMap<>();
    for (Map.Entry<String, TensorInfo> e : inputs.entrySet()) {
      layers.put(e.getKey(), layersFed(TensorRef.parse(SignatureReader.tensorName(e.getValue(),
          sig, dir)).node(), consumers, byName));
    }
    int most = layers.values().stream().mapToInt(Integer::intValue).max().orElse(0);
    List<String> best = layers.entrySet().stream().filter(e -> e.getValue() == most)
        .map(Map.Entry::getKey).toList();
    if (most > 0 && best.size() == 1) {
      return best.get(0);
    }
    // Layers behind a function call (a TF2 SavedModel) are not seen: the input's type decides.
    List<String> candidates = (most > 0 ? best : List.copyOf(layers.keySet())).stream()
        .filter(k -> isImageLike(inputs.get(k))).toList();
    if (candidates.isEmpty()) {
      candidates = (most > 0 ? best : List.copyOf(layers.keySet())).stream()
          .filter(k -> inputs.get(k).getDtype() == DataType.DT_STRING
              && inputs.get(k).getTensorShape().getDimCount() == 1
              && isExampleParsed(inputs.get(k), sig, dir, consumers, byName)).toList();
    }
    if (candidates.size() > 1) { // a float key beside the images: the larger example wins
      long largest = candidates.stream().mapToLong(k -> valuesPerExample(inputs.get(k))).max()
          .orElse(0);
      List<String> widest = candidates.stream().filter(k -> valuesPerExample(inputs.get(k))
          == largest).toList();
      candidates = largest > 1 ? widest : candidates;
    }
    if (candidates.size() == 1) {
      return candidates.get(0);
    }
    throw new ImportException("signature '" + sig + "' of " + dir + " has " + inputs.size()
        + " inputs " + layers.keySet() + " and tf-prune cannot tell which one feeds the "
        + "network" + (most > 0 ? " (each of " + best + " feeds " + most + " layer ops)" : "")
        + ": tf-prune trains the network on one input tensor, and keeps other inputs only when "
        + "they feed outputs that do not read the logits (a key passed through). Export the "
        + "model with one float input feeding the network");
  }

  /**
   * Refuses logits that read a signature input besides the network's: the network would be
   * trained on one input tensor while it computes from two.
   */
  static void checkLogits(GraphIndex g, SourceSignature sig, TensorRef logits, Path dir) {
    if (sig.otherInputs().isEmpty()) {
      return;
    }
    Set<String> reached = new HashSet<>();
    Deque<String> todo = new ArrayDeque<>(List.of(logits.node()));
    while (!todo.isEmpty()) {
      String name = todo.pop();
      if (reached.add(name) && g.find(name).isPresent()) {
        GraphIndex.dataInputs(g.node(name)).forEach(i -> todo.push(i.node()));
      }
    }
    List<String> read = new ArrayList<>();
    sig.otherInputs().forEach((k, t) -> {
      String node = TensorRef.parse(t).node();
      if (reached.contains(node) && g.find(node).map(n -> n.getOp().startsWith("Placeholder"))
          .orElse(false)) {
        read.add(k);
      }
    });
    if (!read.isEmpty()) {
      List<String> all = new ArrayList<>(List.of(sig.inputKey()));
      all.addAll(read);
      throw new ImportException("the logits " + logits + " of signature '" + sig.key()
          + "' of " + dir + " depend on the inputs " + all + ": tf-prune trains the network on "
          + "one input tensor ('" + sig.inputKey() + "' here), so every other input may only "
          + "feed outputs that do not read the logits (a key passed through). Export the model "
          + "with " + read + " folded into the network as constants (or computed from '"
          + sig.inputKey() + "'), or prune a signature whose logits read one input");
    }
  }

  /** The layer ops the node {@code start} feeds, directly or through others. */
  private static int layersFed(String start, Map<String, List<String>> consumers,
      Map<String, NodeDef> byName) {
    Set<String> seen = new HashSet<>();
    Deque<String> todo = new ArrayDeque<>(List.of(start));
    int layers = 0;
    while (!todo.isEmpty()) {
      String name = todo.pop();
      if (!seen.add(name)) {
        continue;
      }
      NodeDef n = byName.get(name);
      if (n != null && LAYERS.contains(n.getOp())) {
        layers++;
      }
      todo.addAll(consumers.getOrDefault(name, List.of()));
    }
    return layers;
  }

  /** A float input of rank two or more (a batch of feature vectors or images). */
  private static boolean isImageLike(TensorInfo t) {
    return (t.getDtype() == DataType.DT_FLOAT || t.getDtype() == DataType.DT_HALF
        || t.getDtype() == DataType.DT_DOUBLE) && !t.getTensorShape().getUnknownRank()
        && t.getTensorShape().getDimCount() >= 2;
  }

  /** Values per example of a fully known shape, else 0. */
  private static long valuesPerExample(TensorInfo t) {
    long n = 1;
    for (int i = 1; i < t.getTensorShape().getDimCount(); i++) {
      long d = t.getTensorShape().getDim(i).getSize();
      if (d <= 0) {
        return 0;
      }
      n *= d;
    }
    return n;
  }

  /** A string input that a tf.Example parser reads. */
  private static boolean isExampleParsed(TensorInfo t, String sig, Path dir,
      Map<String, List<String>> consumers, Map<String, NodeDef> byName) {
    String node = TensorRef.parse(SignatureReader.tensorName(t, sig, dir)).node();
    return consumers.getOrDefault(node, List.of()).stream().map(byName::get)
        .anyMatch(n -> n != null && NetworkInput.PARSERS.contains(n.getOp()));
  }
}
