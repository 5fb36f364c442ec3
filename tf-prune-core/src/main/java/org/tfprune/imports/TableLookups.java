package org.tfprune.imports;

import com.google.common.collect.ImmutableList;
import com.google.protobuf.ByteString;
import java.util.List;
import org.tensorflow.Result;
import org.tensorflow.Tensor;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * A class-name lookup after the logits through a hash table ({@code LookupTableFindV2} of a
 * {@code HashTableV2} on the class indices, the table filled by {@code InitializeTableV2} from
 * constants in the model's init op), rewritten as the equivalent constant and {@code GatherV2}:
 * a string constant holding the table's value at every index from 0 to the largest key, the
 * table's default at indices the table lacks and past its largest key, and a gather at the index
 * (out-of-range indices, negative ones included, read the default). The outputs are the same
 * for every index; the export then needs no table and no init op. The lookup keeps its node
 * name, so the signature's tensor name is unchanged.
 */
final class TableLookups {
  /** Largest key a table may hold to be written as a constant (one entry per index). */
  static final long MAX_KEY = 1 << 20;

  /** The nodes replacing a lookup (the lookup's name last) and the keys tensor it reads. */
  record Replacement(ImmutableList<NodeDef> nodes, TensorRef keys, int entries) {}

  private TableLookups() {}

  /** Whether {@code n} is a table lookup this class rewrites (or refuses with the reason). */
  static boolean isLookup(NodeDef n) {
    return n.getOp().equals("LookupTableFindV2") || n.getOp().equals("LookupTableFind");
  }

  /**
   * The constant and gather computing what {@code find} looks up.
   *
   * @throws ImportException when the table is not a hash table initialized from constants with
   *     integer keys and string values
   */
  static Replacement asGather(NodeDef find, GraphIndex g, SourceModel source) {
    List<TensorRef> in = GraphIndex.dataInputs(find);
    String what = find.getOp() + " " + find.getName() + " of " + source.path();
    NodeDef table = g.node(g.resolve(in.get(0)));
    if (!table.getOp().equals("HashTableV2") && !table.getOp().equals("HashTable")) {
      throw new ImportException(what + " looks up " + table.getOp() + " " + table.getName()
          + ", a table filled at run time, which tf-prune cannot keep: write the class names as "
          + "a constant and look them up with GatherV2 (tf.gather) instead");
    }
    NodeDef init = null;
    for (NodeDef n : g.nodes()) {
      boolean initOp = n.getOp().startsWith("InitializeTable");
      if (initOp && n.getInputCount() > 0
          && g.resolve(TensorRef.parse(n.getInput(0))).node().equals(table.getName())) {
        if (init != null || !(n.getOp().equals("InitializeTableV2")
            || n.getOp().equals("InitializeTable"))) {
          throw new ImportException(what + " looks up table " + table.getName() + ", which is "
              + "filled by " + n.getOp() + " " + n.getName() + (init != null ? " and by "
              + init.getName() : "") + ": tf-prune keeps a table filled once from constants "
              + "(InitializeTableV2); write the class names as a constant and look them up with "
              + "GatherV2 (tf.gather) instead");
        }
        init = n;
      }
    }
    if (init == null) {
      throw new ImportException(what + " looks up table " + table.getName() + ", which no "
          + "InitializeTableV2 in the graph fills: export the model with its table initializer "
          + "in the init op (main_op / legacy_init_op)");
    }
    List<TensorRef> initIn = GraphIndex.dataInputs(init);
    for (TensorRef t : List.of(initIn.get(1), initIn.get(2), in.get(2))) {
      if (!g.node(g.resolve(t)).getOp().equals("Const")) {
        throw new ImportException(what + " reads " + t + ", which is not a constant: tf-prune "
            + "keeps a table filled from constants, with a constant default");
      }
    }
    try (Result r = source.session().runner().fetch(initIn.get(1).toString())
        .fetch(initIn.get(2).toString()).fetch(in.get(2).toString()).run()) {
      long[] keys = longs(r.get(0), what);
      if (!(r.get(1) instanceof TString values) || !(r.get(2) instanceof TString deflt)
          || deflt.shape().numDimensions() != 0 || values.shape().size() != keys.length) {
        throw new ImportException(what + " maps to " + r.get(1).dataType() + " with a default "
            + "of shape " + r.get(2).shape() + ": tf-prune keeps a table of integer keys to "
            + "strings (class names) with a scalar default");
      }
      long max = -1;
      for (long k : keys) {
        if (k < 0 || k >= MAX_KEY) {
          throw new ImportException(what + " holds key " + k + ": tf-prune keeps a table of "
              + "class indices from 0 to " + (MAX_KEY - 1));
        }
        max = Math.max(max, k);
      }
      ByteString[] names = new ByteString[(int) max + 2];
      java.util.Arrays.fill(names, ByteString.copyFrom(deflt.asBytes().getObject()));
      for (int i = 0; i < keys.length; i++) {
        names[(int) keys[i]] = ByteString.copyFrom(values.asBytes().getObject(i));
      }
      return new Replacement(nodes(find, in.get(1), names), in.get(1), keys.length);
    }
  }

  private static long[] longs(Tensor t, String what) {
    long[] out = new long[(int) t.shape().size()];
    if (t instanceof TInt64 l) {
      for (int i = 0; i < out.length; i++) {
        out[i] = l.getLong(i);
      }
    } else if (t instanceof TInt32 n) {
      for (int i = 0; i < out.length; i++) {
        out[i] = n.getInt(i);
      }
    } else {
      throw new ImportException(what + " has keys of type " + t.dataType() + ": tf-prune keeps "
          + "a table whose keys are class indices (int64 or int32); look the names up by the "
          + "class index, or write them as a constant and look them up with GatherV2 "
          + "(tf.gather)");
    }
    return out;
  }

  /** {@code names[min(index, last)]} for indices in range, else the default (the last entry). */
  private static ImmutableList<NodeDef> nodes(NodeDef find, TensorRef keys, ByteString[] names) {
    String n = find.getName();
    DataType kt = find.getAttrOrThrow("Tin").getType();
    TensorProto.Builder values = TensorProto.newBuilder().setDtype(DataType.DT_STRING)
        .setTensorShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder()
            .setSize(names.length)));
    for (ByteString b : names) {
      values.addStringVal(b);
    }
    AttrValue t = AttrValue.newBuilder().setType(kt).build();
    return ImmutableList.of(
        constant(n + "/table_values", values.build()),
        constant(n + "/table_size", scalar(kt, names.length - 1)),
        constant(n + "/zero", scalar(kt, 0)),
        constant(n + "/axis", scalar(DataType.DT_INT32, 0)),
        op(n + "/at_least_zero", "GreaterEqual", t, keys.toString(), n + "/zero"),
        op(n + "/below_size", "Less", t, keys.toString(), n + "/table_size"),
        NodeDef.newBuilder().setName(n + "/in_table").setOp("LogicalAnd")
            .addInput(n + "/at_least_zero").addInput(n + "/below_size").build(),
        op(n + "/index", "SelectV2", t, n + "/in_table", keys.toString(), n + "/table_size"),
        NodeDef.newBuilder().setName(n).setOp("GatherV2").addInput(n + "/table_values")
            .addInput(n + "/index").addInput(n + "/axis")
            .putAttr("Tparams", AttrValue.newBuilder().setType(DataType.DT_STRING).build())
            .putAttr("Tindices", t)
            .putAttr("Taxis", AttrValue.newBuilder().setType(DataType.DT_INT32).build())
            .putAttr("batch_dims", AttrValue.newBuilder().setI(0).build()).build());
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
        .putAttr("dtype", AttrValue.newBuilder().setType(value.getDtype()).build())
        .putAttr("value", AttrValue.newBuilder().setTensor(value).build()).build();
  }
}
