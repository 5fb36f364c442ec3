package org.tfprune.imports;

import com.google.common.collect.ImmutableMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;

/**
 * Training-only placeholders (a dropout {@code keep_prob}, a flag): each gets the value the user
 * gives ({@code --feed keep_prob=1}) or, for a {@code PlaceholderWithDefault}, its scalar
 * default. For the mapping the placeholders become constants, and TF1's dropout
 * {@code x / keep_prob * floor(keep_prob + uniform)} with {@code keep_prob} 1 becomes an
 * {@code Identity} of {@code x} (what it computes then); a boolean flag ({@code is_training})
 * takes 0 for false and 1 for true and becomes a boolean constant, which {@link
 * ControlFlowFolding} folds. The original model is fed the values whenever it runs.
 */
final class TrainingFeeds {
  private TrainingFeeds() {}

  /**
   * The values by placeholder name, for the placeholders {@code outputs} depend on; refuses a
   * name that is no such placeholder.
   */
  static ImmutableMap<String, Float> values(GraphIndex g, Map<String, Float> feeds,
      String inputNode, java.util.Collection<String> outputs, String source) {
    Map<String, Float> v = new LinkedHashMap<>();
    List<String> placeholders = new ArrayList<>();
    java.util.Set<String> reached = new java.util.HashSet<>();
    java.util.Deque<String> todo = new java.util.ArrayDeque<>();
    outputs.forEach(o -> todo.push(TensorRef.parse(o).node()));
    while (!todo.isEmpty()) {
      String name = todo.pop();
      if (reached.add(name) && g.find(name).isPresent()) {
        g.node(name).getInputList().forEach(i -> todo.push(TensorRef.parse(i).node()));
      }
    }
    for (NodeDef n : g.nodes()) {
      if (!reached.contains(n.getName())) {
        continue;
      }
      boolean ph = n.getOp().equals("Placeholder") || n.getOp().equals("PlaceholderWithDefault");
      if (ph && !n.getName().equals(inputNode)) {
        placeholders.add(n.getName());
        if (n.getOp().equals("PlaceholderWithDefault")) {
          Float d = scalar(g.node(GraphIndex.dataInputs(n).get(0).node()));
          if (d != null) {
            v.put(n.getName(), d);
          }
        }
      }
    }
    for (Map.Entry<String, Float> e : feeds.entrySet()) {
      if (!placeholders.contains(e.getKey())) {
        throw new ImportException("--feed names '" + e.getKey() + "', which is not a "
            + "placeholder the outputs of " + source + " read besides the input " + inputNode
            + "; they read " + (placeholders.isEmpty() ? "no other placeholder: leave --feed "
            + "out" : new TreeSet<>(placeholders) + ": pass --feed with one of them, e.g. "
            + "--feed " + placeholders.get(0) + "=1"));
      }
      v.put(e.getKey(), e.getValue());
    }
    return ImmutableMap.copyOf(v);
  }

  /** The values as the log shows them: a boolean flag as true or false. */
  static String describe(GraphIndex g, Map<String, Float> values) {
    Map<String, Object> shown = new LinkedHashMap<>();
    values.forEach((k, v) -> shown.put(k, g.find(k).map(TrainingFeeds::isBool).orElse(false)
        ? (Object) (v != 0f) : v));
    return shown.toString();
  }

  /** {@code graph} with the valued placeholders as constants and trivial dropouts as Identity. */
  static GraphDef fold(GraphDef graph, Map<String, Float> values) {
    if (values.isEmpty()) {
      return graph;
    }
    Map<String, NodeDef> byName = new HashMap<>();
    graph.getNodeList().forEach(n -> byName.put(n.getName(), n));
    GraphDef.Builder out = graph.toBuilder().clearNode();
    for (NodeDef n : graph.getNodeList()) {
      if (values.containsKey(n.getName()) && isBool(n)) {
        out.addNode(boolConstant(n.getName(), values.get(n.getName()) != 0f));
      } else if (values.containsKey(n.getName())) {
        out.addNode(constant(n.getName(), values.get(n.getName())));
      } else if (n.getOp().equals("Mul")) {
        String x = identityDropout(n, byName, values);
        out.addNode(x == null ? n : NodeDef.newBuilder().setName(n.getName()).setOp("Identity")
            .addInput(x).putAttr("T", n.getAttrOrThrow("T")).build());
      } else {
        out.addNode(n);
      }
    }
    return out.build();
  }

  /** The input {@code x} of {@code x / p * floor(p + u)} with {@code p} valued 1, else null. */
  private static String identityDropout(NodeDef mul, Map<String, NodeDef> byName,
      Map<String, Float> values) {
    List<String> in = mul.getInputList().stream().filter(i -> !i.startsWith("^")).toList();
    for (int k = 0; k < 2 && in.size() == 2; k++) {
      NodeDef div = byName.get(TensorRef.parse(in.get(k)).node());
      NodeDef floor = byName.get(TensorRef.parse(in.get(1 - k)).node());
      if (div == null || floor == null || !floor.getOp().equals("Floor")
          || !(div.getOp().equals("RealDiv") || div.getOp().equals("Div"))) {
        continue;
      }
      NodeDef add = byName.get(TensorRef.parse(floor.getInput(0)).node());
      String rate = TensorRef.parse(div.getInput(1)).node();
      if (add != null && (add.getOp().equals("Add") || add.getOp().equals("AddV2"))
          && Float.valueOf(1f).equals(values.get(rate))
          && add.getInputList().stream().anyMatch(i -> TensorRef.parse(i).node().equals(rate))) {
        return div.getInput(0);
      }
    }
    return null;
  }

  /** Whether a placeholder holds a boolean (a training flag such as {@code is_training}). */
  static boolean isBool(NodeDef n) {
    return n.containsAttr("dtype") && n.getAttrOrThrow("dtype").getType() == DataType.DT_BOOL;
  }

  /** A scalar float constant's value, or a boolean one's as 1 or 0; else null. */
  private static Float scalar(NodeDef c) {
    if (!c.getOp().equals("Const")) {
      return null;
    }
    TensorProto t = c.getAttrOrThrow("value").getTensor();
    if (t.getDtype() == DataType.DT_BOOL && t.getTensorShape().getDimCount() == 0) {
      if (t.getBoolValCount() == 1) {
        return t.getBoolVal(0) ? 1f : 0f;
      }
      return t.getTensorContent().size() == 1 ? (t.getTensorContent().byteAt(0) != 0 ? 1f : 0f)
          : null;
    }
    if (t.getDtype() != DataType.DT_FLOAT || t.getTensorShape().getDimCount() != 0) {
      return null;
    }
    if (t.getFloatValCount() == 1) {
      return t.getFloatVal(0);
    }
    if (t.getTensorContent().size() == 4) {
      return java.nio.ByteBuffer.wrap(t.getTensorContent().toByteArray())
          .order(java.nio.ByteOrder.LITTLE_ENDIAN).getFloat();
    }
    return null;
  }

  private static NodeDef boolConstant(String name, boolean value) {
    return scalarConstant(name, TensorProto.newBuilder().setDtype(DataType.DT_BOOL)
        .addBoolVal(value));
  }

  private static NodeDef constant(String name, float value) {
    return scalarConstant(name, TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
        .addFloatVal(value));
  }

  /** A scalar {@code Const} holding {@code value} (its dtype and one value set). */
  private static NodeDef scalarConstant(String name, TensorProto.Builder value) {
    return NodeDef.newBuilder().setName(name).setOp("Const")
        .putAttr("dtype", AttrValue.newBuilder().setType(value.getDtype()).build())
        .putAttr("value", AttrValue.newBuilder().setTensor(value.setTensorShape(
            org.tensorflow.proto.TensorShapeProto.getDefaultInstance())).build()).build();
  }
}
