package org.tfprune.export;

import com.google.common.collect.ImmutableList;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tfprune.slice.HostTensor;

/**
 * Joins a compact network's graph with a {@link ServingContract}'s fixed regions: the prefix
 * nodes, then the network (its input placeholder becomes an {@code Identity} of the contract's
 * network input, same name, so it can still be fed directly), then the suffix nodes, which read
 * the logits under their original node name. Every signature of the contract is rebuilt on the
 * joined graph by its tensor names.
 */
final class ContractGraph {
  private ContractGraph() {}

  /** The top-level scope names the contract's fixed nodes and signatures use. */
  static Set<String> usedScopes(ServingContract c) {
    Set<String> used = new HashSet<>();
    c.before().getNodeList().forEach(n -> used.add(n.getName().split("/")[0]));
    c.after().getNodeList().forEach(n -> used.add(n.getName().split("/")[0]));
    used.add(c.logitsNode().split("/")[0]);
    for (ServingContract.Signature s : c.signatures()) {
      s.inputs().values().forEach(t -> used.add(ServingSignature.nodeOf(t).split("/")[0]));
      s.outputs().values().forEach(t -> used.add(ServingSignature.nodeOf(t).split("/")[0]));
    }
    return used;
  }

  /**
   * The joined GraphDef: {@code net} (a graph whose placeholder {@code netInput} feeds the
   * network and whose node {@code c.logitsNode()} holds the logits) with the contract's regions.
   */
  static GraphDef join(GraphDef net, String netInput, ServingContract c) {
    Set<String> names = new HashSet<>();
    GraphDef.Builder out = net.toBuilder().clearNode();
    for (NodeDef n : c.before().getNodeList()) {
      add(out, names, n);
    }
    boolean replaced = false;
    for (NodeDef n : net.getNodeList()) {
      if (n.getName().equals(netInput)) {
        add(out, names, NodeDef.newBuilder().setName(netInput).setOp("Identity")
            .addInput(c.networkInput())
            .putAttr("T", AttrValue.newBuilder().setType(DataType.DT_FLOAT).build()).build());
        replaced = true;
      } else {
        add(out, names, n);
      }
    }
    if (!replaced) {
      throw new ExportException("the network graph has no input node " + netInput);
    }
    for (NodeDef n : c.after().getNodeList()) {
      add(out, names, n);
    }
    return out.build();
  }

  private static void add(GraphDef.Builder out, Set<String> names, NodeDef n) {
    if (!names.add(n.getName())) {
      throw new ExportException("cannot keep the node " + n.getName() + " of the original model: "
          + "the pruned network uses the same name; rename that node in the model and export it "
          + "again");
    }
    out.addNode(n);
  }

  /**
   * Assigns {@code values} (by variable node name) through the initializers the network graph
   * holds: each variable's {@code Assign} from a placeholder.
   */
  static void initialize(Session s, GraphDef joined, Map<String, HostTensor> values) {
    Map<String, NodeDef> byName = new HashMap<>();
    joined.getNodeList().forEach(n -> byName.put(n.getName(), n));
    Map<String, NodeDef> assignOf = new HashMap<>();
    for (NodeDef n : joined.getNodeList()) {
      if (n.getOp().equals("Assign") && n.getInputCount() == 2) {
        NodeDef src = byName.get(n.getInput(1).split(":")[0]);
        if (src != null && src.getOp().equals("Placeholder")) {
          assignOf.put(n.getInput(0).split(":")[0], n);
        }
      }
    }
    List<Tensor> tensors = new ArrayList<>();
    try {
      Session.Runner r = s.runner();
      for (Map.Entry<String, HostTensor> e : values.entrySet()) {
        NodeDef a = assignOf.get(e.getKey());
        if (a == null) {
          throw new ExportException("the network graph has no initializer for the variable "
              + e.getKey());
        }
        Tensor t = e.getValue().toTensor();
        tensors.add(t);
        r.feed(a.getInput(1).split(":")[0], t).addTarget(a.getName());
      }
      if (!tensors.isEmpty()) {
        r.run().close();
      }
    } finally {
      tensors.forEach(Tensor::close);
    }
  }

  /** Every signature of the contract, on {@code g}. */
  static ImmutableList<Signature> signatures(Graph g, ServingContract c) {
    ImmutableList.Builder<Signature> b = ImmutableList.builder();
    for (ServingContract.Signature s : c.signatures()) {
      Signature.Builder sb = Signature.builder().key(s.key()).methodName(s.methodName());
      s.inputs().forEach((k, t) -> sb.input(k, tensor(g, t, s.key())));
      s.outputs().forEach((k, t) -> sb.output(k, tensor(g, t, s.key())));
      b.add(sb.build());
    }
    return b.build();
  }

  /** A tensor of {@code g} by name ({@code node:index}). */
  static Operand<?> tensor(Graph g, String name, String signature) {
    String node = ServingSignature.nodeOf(name);
    int colon = name.lastIndexOf(':');
    int index = colon < 0 ? 0 : Integer.parseInt(name.substring(colon + 1));
    var op = g.operation(node);
    if (op == null) {
      throw new ExportException("signature '" + signature + "' names the tensor " + name
          + ", which the exported graph does not hold");
    }
    return op.output(index);
  }

  /** Runs {@code fetches} (tensor names) on {@code s} with {@code feed} fed at {@code input}. */
  static Result run(Session s, String input, Tensor feed, List<String> fetches) {
    Session.Runner r = s.runner().feed(input, feed);
    fetches.forEach(r::fetch);
    return r.run();
  }
}
