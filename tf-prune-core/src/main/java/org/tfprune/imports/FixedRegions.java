package org.tfprune.imports;

import static org.tfprune.imports.Nodes.describe;

import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.tensorflow.proto.NodeDef;

/**
 * Finds the fixed region around an op the backward walk cannot map: from that op back along its
 * first input from the network, over every op the walk cannot map either, to the nearest tensor
 * where the walk matches a layer again (or the network input). When a path of the region passes
 * that tensor by (the region reads two layers, or joins two branches), the region widens back,
 * taking in the layers it passes, to a tensor that every path reads. The network must read
 * nothing of the region but its last op (no side outputs), and the region no placeholder but
 * the input; otherwise the model is refused naming the ops.
 */
final class FixedRegions {
  private final SourceModel source;
  private final GraphIndex graph;
  private final TensorRef input;
  private final Set<String> path = new HashSet<>();
  private final Map<String, Set<String>> consumers = new HashMap<>();

  FixedRegions(SourceModel source, GraphIndex graph, TensorRef input, TensorRef logits) {
    this.source = source;
    this.graph = graph;
    this.input = input;
    for (NodeDef n : graph.nodes()) {
      for (TensorRef in : GraphIndex.dataInputs(n)) {
        consumers.computeIfAbsent(in.node(), k -> new HashSet<>()).add(n.getName());
      }
    }
    Deque<String> todo = new ArrayDeque<>(List.of(logits.node()));
    while (!todo.isEmpty()) {
      String name = todo.pop();
      if (path.add(name) && !name.equals(input.node())) {
        for (TensorRef in : GraphIndex.dataInputs(graph.node(name))) {
          if (!graph.isWeight(in)) {
            todo.push(in.node());
          }
        }
      }
    }
  }

  /**
   * The region whose output is {@code t}, which the walk could not map for {@code why}.
   *
   * @param probe for a tensor, null when the walk can match a stage ending there, else why not
   */
  Stage.Matched find(TensorRef t, String why, Function<TensorRef, String> probe) {
    Map<String, String> kept = new LinkedHashMap<>();
    kept.put(t.node(), why);
    TensorRef c = back(t, kept, probe);
    Set<String> nodes = region(t, c);
    // another path of the region passes c by: widen it back to a tensor every path reads
    // (the layers it passes become part of the region)
    while (nodes == null && !c.equals(input)) {
      c = back(c, kept, probe);
      nodes = region(t, c);
    }
    if (nodes == null) {
      throw new ImportException("the ops tf-prune cannot map from " + describe(graph.node(t))
          + " back to the input (" + String.join(", ", kept.keySet()) + ") also read a tensor "
          + "other than the network's input " + input + " (another placeholder, or another "
          + "output of its node): tf-prune keeps such a region fixed only when it has one input "
          + "from the network");
    }
    for (String n : nodes) {
      kept.putIfAbsent(n, "part of the region ending at " + describe(graph.node(t)));
      if (n.equals(t.node())) {
        continue;
      }
      for (String user : consumers.getOrDefault(n, Set.of())) {
        if (path.contains(user) && !nodes.contains(user)) {
          throw new ImportException(describe(graph.node(n)) + ", inside the region tf-prune "
              + "keeps fixed from " + c + " to " + t + ", is also read by " + describe(graph
              .node(user)) + " outside it: tf-prune keeps a region it does not map only when "
              + "the network reads its last op alone (no side outputs)");
        }
      }
    }
    kept.keySet().retainAll(nodes);
    return new Stage.Matched(new Stage.Fixed(graph.node(t), t, c, ImmutableSet.copyOf(nodes),
        ImmutableMap.copyOf(kept)), c);
  }

  /**
   * The nearest tensor before {@code from}, along first network inputs, where a layer ends (or
   * the input); the ops passed that the walk cannot map go to {@code kept} with the reason.
   */
  private TensorRef back(TensorRef from, Map<String, String> kept,
      Function<TensorRef, String> probe) {
    TensorRef c = from;
    while (true) {
      c = networkInput(graph.node(c));
      if (c == null) {
        throw new ImportException("the path from the logits back to the input of "
            + source.path() + " ends at " + describe(graph.node(kept.keySet().stream()
            .reduce((a, b) -> b).orElseThrow())) + " instead of the input " + input.node()
            + ": the signature's outputs do not depend on its input");
      }
      if (c.equals(input)) {
        return c;
      }
      String not = probe.apply(c);
      if (not == null) {
        return c; // a layer ends at c
      }
      kept.putIfAbsent(c.node(), not);
    }
  }

  /** The first data input of {@code n} that is not a weight, behind identities; or null. */
  private TensorRef networkInput(NodeDef n) {
    for (TensorRef in : GraphIndex.dataInputs(n)) {
      if (!graph.isWeight(in)) {
        return graph.resolve(in);
      }
    }
    return null;
  }

  /**
   * The nodes from {@code t} back to {@code c} (weights left out), or null when some path
   * passes {@code c} by (another placeholder, the input) or reads another output of its node.
   */
  private Set<String> region(TensorRef t, TensorRef c) {
    Set<String> nodes = new LinkedHashSet<>();
    Deque<String> todo = new ArrayDeque<>(List.of(t.node()));
    while (!todo.isEmpty()) {
      String name = todo.pop();
      if (!nodes.add(name)) {
        continue;
      }
      NodeDef n = graph.node(name);
      if (n.getOp().startsWith("Placeholder") || name.equals(input.node())) {
        return null;
      }
      for (TensorRef in : GraphIndex.dataInputs(n)) {
        if (in.node().equals(c.node())) {
          if (in.index() != c.index()) {
            return null;
          }
        } else if (!graph.isWeight(in)) {
          todo.push(in.node());
        }
      }
    }
    return nodes;
  }
}
