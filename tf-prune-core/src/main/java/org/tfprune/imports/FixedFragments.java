package org.tfprune.imports;

import static org.tfprune.imports.Nodes.describe;

import com.google.common.collect.ImmutableMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TFloat32;
import org.tfprune.build.FixedRegionOps;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.FeatureMap;
import org.tfprune.spec.FixedLayer;

/**
 * Turns a fixed region of a source graph into a {@link FixedLayer}: copies its ops into a
 * fragment whose input is the previous layer's output, replaces the float weights it reads by
 * frozen weights (their values go to the imported parameters) and copies the integer constants
 * it reads (shapes, axes). Then builds the fragment once with TF-Java to check it: an op TF-Java
 * cannot build, a random or stateful op, or (when a layer before it is trained) an op without a
 * gradient is refused with its name and the region's.
 */
final class FixedFragments {
  /** The fragment's reshape of a flat input back to the 1x1 map the region reads. */
  private static final String MAP = "tfprune_input_map";

  private FixedFragments() {}

  private static NodeDef intConst(String name, int[] values) {
    org.tensorflow.proto.TensorProto.Builder t = org.tensorflow.proto.TensorProto.newBuilder()
        .setDtype(DataType.DT_INT32).setTensorShape(TensorShapeProto.newBuilder().addDim(
            TensorShapeProto.Dim.newBuilder().setSize(values.length)));
    for (int v : values) {
      t.addIntVal(v);
    }
    return NodeDef.newBuilder().setName(name).setOp("Const")
        .putAttr("dtype", AttrValue.newBuilder().setType(DataType.DT_INT32).build())
        .putAttr("value", AttrValue.newBuilder().setTensor(t).build()).build();
  }

  /** The layer {@code name} for region {@code f} reading {@code in}; its weights go to params. */
  static FixedLayer layer(SourceModel source, GraphIndex graph, Stage.Fixed f, FeatureMap in,
      String name, boolean trainedBefore, Map<String, HostTensor> params) {
    List<NodeDef> head = new ArrayList<>();
    head.add(placeholder(FixedLayer.INPUT, in));
    Map<String, String> renamed = new HashMap<>(); // tensor read -> fragment tensor
    renamed.put(f.input().toString(), FixedLayer.INPUT + ":0");
    org.tensorflow.ndarray.Shape original = source.staticShape(f.input());
    if (in.isFlat() && original.numDimensions() == 4) {
      // a 1x1 map (global average pooling with keepdims) the spec carries as features: the
      // region reads it in its own shape
      head.add(intConst(MAP + "_shape", new int[] {-1, (int) original.size(1),
          (int) original.size(2), in.channels()}));
      head.add(NodeDef.newBuilder().setName(MAP).setOp("Reshape").addInput(FixedLayer.INPUT
          + ":0").addInput(MAP + "_shape:0").putAttr("T", AttrValue.newBuilder()
          .setType(DataType.DT_FLOAT).build()).putAttr("Tshape", AttrValue.newBuilder()
          .setType(DataType.DT_INT32).build()).build());
      renamed.put(f.input().toString(), MAP + ":0");
    }
    List<NodeDef> body = new ArrayList<>();
    for (NodeDef n : order(graph, f)) {
      NodeDef.Builder b = n.toBuilder().clearInput().clearDevice();
      for (String raw : n.getInputList()) {
        if (raw.startsWith("^")) {
          continue; // control dependencies inside a serving graph carry no data
        }
        TensorRef r = TensorRef.parse(raw);
        if (f.nodes().contains(r.node())) {
          b.addInput(r.node() + ":" + r.index());
        } else {
          TensorRef w = graph.resolve(r);
          b.addInput(renamed.computeIfAbsent(w.equals(f.input()) ? f.input().toString()
              : w.toString(), k -> weight(source, graph, w, n, name, head, params)));
        }
      }
      body.add(b.build());
    }
    GraphDef.Builder ops = GraphDef.newBuilder().addAllNode(head).addAllNode(body);
    String output = f.output().node() + ":" + f.output().index();
    long[] macs = new long[1];
    int[] rank = new int[1];
    FeatureMap out = check(ops.build(), output, in, name, f, trainedBefore, macs, rank);
    if (rank[0] == 4 && out.isFlat()) {
      // a 1x1 map out: the spec carries it as features, as the layers after it read it
      ops.addNode(intConst(MAP + "_features", new int[] {-1, out.channels()}));
      ops.addNode(NodeDef.newBuilder().setName(MAP + "_output").setOp("Reshape").addInput(output)
          .addInput(MAP + "_features:0").putAttr("T", AttrValue.newBuilder()
          .setType(DataType.DT_FLOAT).build()).putAttr("Tshape", AttrValue.newBuilder()
          .setType(DataType.DT_INT32).build()).build());
      output = MAP + "_output:0";
      macs[0] = 0;
      out = check(ops.build(), output, in, name, f, trainedBefore, macs, rank);
    }
    try {
      return new FixedLayer(name, ops.build(), output, in, out, macs[0],
          ImmutableMap.copyOf(f.kept()));
    } catch (IllegalArgumentException e) {
      throw new ImportException("cannot keep the region ending at " + describe(f.node())
          + " fixed: " + e.getMessage());
    }
  }

  /** The region's nodes, every node after the nodes it reads. */
  private static List<NodeDef> order(GraphIndex graph, Stage.Fixed f) {
    List<NodeDef> out = new ArrayList<>();
    Set<String> done = new HashSet<>();
    visit(graph, f, f.output().node(), done, out);
    return out;
  }

  private static void visit(GraphIndex graph, Stage.Fixed f, String name, Set<String> done,
      List<NodeDef> out) {
    if (!done.add(name)) {
      return;
    }
    NodeDef n = graph.node(name);
    for (TensorRef in : GraphIndex.dataInputs(n)) {
      if (f.nodes().contains(in.node())) {
        visit(graph, f, in.node(), done, out);
      }
    }
    out.add(n);
  }

  /** A weight read by node {@code user}: a frozen float weight or a copied integer constant. */
  private static String weight(SourceModel source, GraphIndex graph, TensorRef w, NodeDef user,
      String layer, List<NodeDef> head, Map<String, HostTensor> params) {
    NodeDef node = graph.node(w);
    DataType type = source.session().graph().operationOrThrow(w.node()).output(w.index())
        .dataType();
    if ((type == DataType.DT_FLOAT || type == DataType.DT_FLOAT_REF) && w.index() == 0) {
      String name = FixedLayer.WEIGHT + head.stream().filter(h -> h.getName().startsWith(
          FixedLayer.WEIGHT)).count();
      HostTensor v = source.value(w.node());
      params.put(ParameterSet.key(layer, name), v);
      head.add(placeholder(name, v.shape()));
      return name + ":0";
    }
    if (node.getOp().equals("Const")) {
      String name = "const_" + head.size();
      head.add(node.toBuilder().setName(name).clearInput().clearDevice().build());
      return name + ":0";
    }
    throw new ImportException(describe(user) + " in the fixed region " + layer + " reads "
        + describe(node) + ", a computed " + type + " weight: tf-prune keeps float weights and "
        + "integer constants of a region it does not map");
  }

  private static NodeDef placeholder(String name, FeatureMap m) {
    return placeholder(name, m.isFlat() ? new long[] {-1, m.channels()}
        : new long[] {-1, m.height(), m.width(), m.channels()});
  }

  private static NodeDef placeholder(String name, long[] shape) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long d : shape) {
      s.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    return NodeDef.newBuilder().setName(name).setOp("Placeholder")
        .putAttr("dtype", AttrValue.newBuilder().setType(DataType.DT_FLOAT).build())
        .putAttr("shape", AttrValue.newBuilder().setShape(s).build()).build();
  }

  /**
   * Builds the fragment with TF-Java on a placeholder of the input's shape; returns its output
   * shape, puts its MACs (MatMul and convolution ops on a weight) into {@code macs[0]} and the
   * output's rank into {@code rank[0]}.
   */
  private static FeatureMap check(GraphDef ops, String output, FeatureMap in, String layer,
      Stage.Fixed f, boolean trainedBefore, long[] macs, int[] rank) {
    String where = " in the region " + layer + " tf-prune keeps fixed (from " + f.input()
        + " to " + f.output() + ")";
    Map<String, NodeDef> byName = new LinkedHashMap<>();
    ops.getNodeList().forEach(n -> byName.put(n.getName(), n));
    for (NodeDef n : ops.getNodeList()) {
      OpDef def = FixedRegionOps.opDef(n.getOp());
      if (def == null) {
        throw new ImportException(describe(n) + where + " is an op this TensorFlow ("
            + org.tensorflow.TensorFlow.version() + ") does not know: TF-Java cannot run it");
      }
      if (def.getIsStateful() && !n.getOp().equals("Placeholder")) {
        throw new ImportException(describe(n) + where + " is random or stateful, so the "
            + "network would not compute one function of its input: leave training-only ops "
            + "(dropout, summaries) out of the serving graph");
      }
    }
    FixedLayer probe = new FixedLayer(layer, ops, output, in, in, 0, f.kept());
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class,
          Placeholder.shape(in.isFlat() ? Shape.of(-1, in.channels())
              : Shape.of(-1, in.height(), in.width(), in.channels())));
      Operand<TFloat32> y;
      try {
        y = FixedRegionOps.apply(tf, probe, x, w -> tf.withName(w).placeholder(TFloat32.class,
            Placeholder.shape(Shape.of(FixedLayer.shape(byName.get(w))))));
      } catch (RuntimeException e) {
        throw new ImportException("TF-Java cannot build the ops" + where + ": "
            + e.getMessage());
      }
      if (y.asOutput().dataType() != DataType.DT_FLOAT) {
        throw new ImportException(describe(f.node()) + where + " outputs "
            + y.asOutput().dataType() + "; the next layer reads float32");
      }
      if (trainedBefore) {
        try {
          g.addGradients(y.asOutput(), new Output<?>[] {x.asOutput()});
        } catch (RuntimeException e) {
          String m = String.valueOf(e.getMessage());
          String named = String.join(", ", ops.getNodeList().stream().filter(n -> m.contains(
              "op: " + n.getOp())).map(Nodes::describe).toList());
          throw new ImportException((named.isEmpty() ? "an op" : named) + where + " has no "
              + "gradient in TensorFlow (" + m.split("\\.")[0] + "), so tf-prune cannot train "
              + "the layers before it through it: replace it in the model (e.g. Round by the "
              + "identity) or prune a model without it");
        }
      }
      for (NodeDef n : ops.getNodeList()) {
        macs[0] += macs(g, n, byName);
      }
      Shape s = y.shape();
      boolean known = true;
      for (int i = 1; i < s.numDimensions(); i++) {
        known &= s.size(i) > 0;
      }
      if (!known || (s.numDimensions() != 2 && s.numDimensions() != 4)) {
        throw new ImportException(describe(f.node()) + where + " outputs a tensor of shape "
            + s + "; tf-prune keeps regions whose output is [batch, features] or [batch, "
            + "height, width, channels] with every dimension but the batch known");
      }
      rank[0] = s.numDimensions();
      return s.numDimensions() == 2 ? FeatureMap.flat((int) s.size(1))
          : new FeatureMap((int) s.size(1), (int) s.size(2), (int) s.size(3));
    }
  }

  /** MACs per example of a MatMul or convolution on a weight, as the export's counter counts. */
  private static long macs(Graph g, NodeDef n, Map<String, NodeDef> byName) {
    boolean conv = n.getOp().equals("Conv2D") || n.getOp().equals("DepthwiseConv2dNative");
    if (!conv && !n.getOp().equals("MatMul")) {
      return 0;
    }
    NodeDef kernel = byName.get(FixedLayer.nodeOf(n.getInput(1)));
    if (kernel == null || !kernel.getName().startsWith(FixedLayer.WEIGHT)) {
      throw new ImportException(describe(n) + " in a region tf-prune keeps fixed multiplies by "
          + "a computed tensor; tf-prune keeps MatMul and convolution ops whose second input is "
          + "a weight");
    }
    long size = 1;
    for (long d : FixedLayer.shape(kernel)) {
      size *= d;
    }
    if (!conv) {
      return size;
    }
    Shape out = g.operation(n.getName().replace('/', '_')).output(0).shape();
    return size * out.size(1) * out.size(2);
  }
}
