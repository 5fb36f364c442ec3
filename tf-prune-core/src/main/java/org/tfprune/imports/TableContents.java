package org.tfprune.imports;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Tensor;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * What a lookup table holds once initialized: its keys and values (each key once), its default
 * and their types. Elements are Java values: {@code Long} for int32 and int64, {@code Float},
 * {@code Double}, {@code Boolean}, and {@code ByteString} for strings (their bytes, as
 * TensorFlow compares them).
 *
 * @param filledFrom what filled the table, for notes (e.g. "constants")
 */
record TableContents(DataType keyType, DataType valueType, ImmutableList<Object> keys,
    ImmutableList<Object> values, Object defaultValue, String filledFrom) {
  /** Key types a hash table of scalars takes. */
  static final ImmutableSet<DataType> KEY_TYPES = ImmutableSet.of(DataType.DT_INT32,
      DataType.DT_INT64, DataType.DT_STRING);
  /** Value types tf-prune writes as a constant. */
  static final ImmutableSet<DataType> VALUE_TYPES = ImmutableSet.of(DataType.DT_INT32,
      DataType.DT_INT64, DataType.DT_FLOAT, DataType.DT_DOUBLE, DataType.DT_BOOL,
      DataType.DT_STRING);

  TableContents {
    checkArgument(keys.size() == values.size(), "%s keys but %s values", keys.size(),
        values.size());
    checkArgument(ImmutableSet.copyOf(keys).size() == keys.size(), "repeated keys");
  }

  /**
   * The table that inserting {@code values} at {@code keys} in order into an empty hash table
   * gives: a key inserted twice keeps its value; twice with different values is refused, as
   * TensorFlow's {@code HashTable} refuses it.
   */
  static TableContents inserted(DataType keyType, DataType valueType, List<Object> keys,
      List<Object> values, Object defaultValue, String filledFrom, String what) {
    checkArgument(keys.size() == values.size(), "%s keys but %s values", keys.size(),
        values.size());
    Map<Object, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keys.size(); i++) {
      Object before = m.putIfAbsent(keys.get(i), values.get(i));
      if (before != null && !before.equals(values.get(i))) {
        throw new ImportException(what + " reads a table filled from " + filledFrom + " with "
            + "key " + show(keys.get(i)) + " twice, with values " + show(before) + " and "
            + show(values.get(i)) + ": TensorFlow refuses to initialize such a table");
      }
    }
    return new TableContents(keyType, valueType, ImmutableList.copyOf(m.keySet()),
        ImmutableList.copyOf(m.values()), defaultValue, filledFrom);
  }

  /** The elements of a tensor of any type {@link #VALUE_TYPES} holds, in row-major order. */
  static List<Object> elements(Tensor t, String what) {
    int n = Math.toIntExact(t.shape().size());
    List<Object> out = new ArrayList<>(n);
    long[] shape = t.shape().asArray();
    for (int i = 0; i < n; i++) {
      long[] at = new long[shape.length];
      long rest = i;
      for (int d = shape.length - 1; d >= 0; d--) {
        at[d] = rest % shape[d];
        rest /= shape[d];
      }
      if (t instanceof TString s) {
        out.add(ByteString.copyFrom(s.asBytes().getObject(at)));
      } else if (t instanceof TInt64 l) {
        out.add(l.getLong(at));
      } else if (t instanceof TInt32 v) {
        out.add((long) v.getInt(at));
      } else if (t instanceof TFloat32 f) {
        out.add(f.getFloat(at));
      } else if (t instanceof TFloat64 d) {
        out.add(d.getDouble(at));
      } else if (t instanceof TBool b) {
        out.add(b.getBoolean(at));
      } else {
        throw new ImportException(what + " holds " + t.dataType() + " values: tf-prune "
            + "rewrites tables of " + VALUE_TYPES);
      }
    }
    return out;
  }

  /** A constant of {@code type} holding {@code elements} as a vector. */
  static TensorProto vector(DataType type, List<Object> elements) {
    TensorProto.Builder b = TensorProto.newBuilder().setDtype(type).setTensorShape(
        TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder()
            .setSize(elements.size())));
    for (Object e : elements) {
      switch (type) {
        case DT_STRING -> b.addStringVal((ByteString) e);
        case DT_INT64 -> b.addInt64Val((Long) e);
        case DT_INT32 -> b.addIntVal(Math.toIntExact((Long) e));
        case DT_FLOAT -> b.addFloatVal((Float) e);
        case DT_DOUBLE -> b.addDoubleVal((Double) e);
        case DT_BOOL -> b.addBoolVal((Boolean) e);
        default -> throw new IllegalArgumentException("no constant of type " + type);
      }
    }
    return b.build();
  }

  /** An element as a message shows it (strings in quotes). */
  static String show(Object e) {
    if (!(e instanceof ByteString s)) {
      return String.valueOf(e);
    }
    StringBuilder b = new StringBuilder("'");
    for (char c : s.toStringUtf8().toCharArray()) {
      b.append(c == '\t' ? "\\t" : c == '\r' ? "\\r" : c == '\n' ? "\\n" : c < ' '
          ? String.format("\\x%02x", (int) c) : String.valueOf(c));
    }
    return b.append('\'').toString();
  }
}
