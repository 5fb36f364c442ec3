package org.tfprune.imports;

import com.google.common.collect.ImmutableList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * The ops computing what a table lookup returns, without a table: constants and a {@code
 * GatherV2} named as the lookup, of its output type and shape. Integer keys from 0 up, with few
 * holes, gather straight at the key ({@link #dense}); other keys are matched against a constant
 * of the table's keys ({@link #matched}).
 */
final class TableGraph {
  /** Largest key a table may hold to be gathered at the key. */
  static final long MAX_KEY = 1 << 20;

  private TableGraph() {}

  /** The nodes replacing lookup {@code find} of {@code keys} in {@code c}, the lookup last. */
  static ImmutableList<NodeDef> nodes(NodeDef find, TensorRef keys, TableContents c) {
    return isDense(c) ? dense(find, keys, c) : matched(find, keys, c);
  }

  /** Integer keys in [0, MAX_KEY) whose largest is below twice their count plus 16. */
  static boolean isDense(TableContents c) {
    if (c.keyType() == DataType.DT_STRING) {
      return false;
    }
    long max = -1;
    for (Object k : c.keys()) {
      long v = (Long) k;
      if (v < 0 || v >= MAX_KEY) {
        return false;
      }
      max = Math.max(max, v);
    }
    return max + 1 <= 2L * c.keys().size() + 16;
  }

  /**
   * {@code values[key]} for keys from 0 to the largest, else the default: a constant of the
   * value at every index (the default at holes and after the largest key) and a gather at the
   * key, or at the default's index when the key is out of range (negative ones included).
   */
  private static ImmutableList<NodeDef> dense(NodeDef find, TensorRef keys, TableContents c) {
    String n = find.getName();
    DataType kt = c.keyType();
    long max = -1;
    for (Object k : c.keys()) {
      max = Math.max(max, (Long) k);
    }
    List<Object> values = new ArrayList<>(Collections.nCopies((int) max + 2, c.defaultValue()));
    for (int i = 0; i < c.keys().size(); i++) {
      values.set((int) (long) (Long) c.keys().get(i), c.values().get(i));
    }
    AttrValue t = type(kt);
    return ImmutableList.of(
        constant(n + "/table_values", TableContents.vector(c.valueType(), values)),
        constant(n + "/table_size", scalar(kt, max + 1)),
        constant(n + "/zero", scalar(kt, 0)),
        constant(n + "/axis", scalar(DataType.DT_INT32, 0)),
        op(n + "/at_least_zero", "GreaterEqual", t, keys.toString(), n + "/zero"),
        op(n + "/below_size", "Less", t, keys.toString(), n + "/table_size"),
        NodeDef.newBuilder().setName(n + "/in_table").setOp("LogicalAnd")
            .addInput(n + "/at_least_zero").addInput(n + "/below_size").build(),
        op(n + "/index", "SelectV2", t, n + "/in_table", keys.toString(), n + "/table_size"),
        gather(n, c.valueType(), kt));
  }

  /**
   * {@code concat([default], values)[sum(equal(key[..., None], table_keys) * [1..n], -1)]}:
   * the table holds each key once, so the sum is the key's position from 1, or 0 (the
   * default) when the table lacks it. It compares every key looked up with every key of the
   * table: memory and time grow with their product (about 10 MB for a batch of 1,000 class
   * indices against a thousand names).
   */
  private static ImmutableList<NodeDef> matched(NodeDef find, TensorRef keys, TableContents c) {
    String n = find.getName();
    List<Object> values = new ArrayList<>(c.keys().size() + 1);
    values.add(c.defaultValue());
    values.addAll(c.values());
    List<Object> positions = new ArrayList<>(c.keys().size());
    for (long i = 1; i <= c.keys().size(); i++) {
      positions.add(i);
    }
    AttrValue kt = type(c.keyType());
    AttrValue i32 = type(DataType.DT_INT32);
    return ImmutableList.of(
        constant(n + "/table_keys", TableContents.vector(c.keyType(), c.keys())),
        constant(n + "/table_values", TableContents.vector(c.valueType(), values)),
        constant(n + "/positions", TableContents.vector(DataType.DT_INT32, positions)),
        constant(n + "/last_axis", scalar(DataType.DT_INT32, -1)),
        constant(n + "/axis", scalar(DataType.DT_INT32, 0)),
        NodeDef.newBuilder().setName(n + "/keys_column").setOp("ExpandDims")
            .addInput(keys.toString()).addInput(n + "/last_axis").putAttr("T", kt)
            .putAttr("Tdim", i32).build(),
        op(n + "/matches", "Equal", kt, n + "/keys_column", n + "/table_keys").toBuilder()
            .putAttr("incompatible_shape_error", AttrValue.newBuilder().setB(true).build())
            .build(),
        NodeDef.newBuilder().setName(n + "/match_ints").setOp("Cast")
            .addInput(n + "/matches").putAttr("SrcT", type(DataType.DT_BOOL))
            .putAttr("DstT", i32).putAttr("Truncate", AttrValue.newBuilder().setB(false)
            .build()).build(),
        op(n + "/weighted", "Mul", i32, n + "/match_ints", n + "/positions"),
        op(n + "/index", "Sum", i32, n + "/weighted", n + "/last_axis").toBuilder()
            .putAttr("Tidx", i32).putAttr("keep_dims", AttrValue.newBuilder().setB(false)
            .build()).build(),
        gather(n, c.valueType(), DataType.DT_INT32));
  }

  private static NodeDef gather(String n, DataType values, DataType indices) {
    return NodeDef.newBuilder().setName(n).setOp("GatherV2").addInput(n + "/table_values")
        .addInput(n + "/index").addInput(n + "/axis")
        .putAttr("Tparams", type(values)).putAttr("Tindices", type(indices))
        .putAttr("Taxis", type(DataType.DT_INT32))
        .putAttr("batch_dims", AttrValue.newBuilder().setI(0).build()).build();
  }

  private static AttrValue type(DataType t) {
    return AttrValue.newBuilder().setType(t).build();
  }

  private static NodeDef op(String name, String op, AttrValue t, String... inputs) {
    NodeDef.Builder b = NodeDef.newBuilder().setName(name).setOp(op).putAttr("T", t);
    for (String i : inputs) {
      b.addInput(i);
    }
    return b.build();
  }

  private static TensorProto scalar(DataType type, long v) {
    TensorProto.Builder b = TensorProto.newBuilder().setDtype(type)
        .setTensorShape(TensorShapeProto.getDefaultInstance());
    return (type == DataType.DT_INT64 ? b.addInt64Val(v) : b.addIntVal((int) v)).build();
  }

  private static NodeDef constant(String name, TensorProto value) {
    return NodeDef.newBuilder().setName(name).setOp("Const")
        .putAttr("dtype", type(value.getDtype()))
        .putAttr("value", AttrValue.newBuilder().setTensor(value).build()).build();
  }
}
