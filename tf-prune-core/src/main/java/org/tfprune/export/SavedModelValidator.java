package org.tfprune.export;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.zip.CRC32C;
import org.tensorflow.TensorFlow;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.BundleEntryProto;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Checks a SavedModel's files with the Java protobuf classes before any of it reaches
 * TensorFlow's native code, which may abort the JVM on malformed input: {@code saved_model.pb}
 * parses; every node's op is registered, its attributes are those its op declares with values
 * of the declared kinds, its constants hold as many bytes as their shapes need, its inputs name
 * existing nodes; signatures name existing tensors; {@code variables/variables.index} is an
 * intact TensorBundle index whose header names existing data files, every entry fits its data
 * file and matches its checksum, and every variable of the graph is in it with its dtype and
 * shape. Each problem is reported through {@code error} with a message naming the file, the
 * problem and the fix.
 */
public final class SavedModelValidator {
  /** The file name of a SavedModel's graph. */
  public static final String SAVED_MODEL_PB = "saved_model.pb";

  /** The largest constant or variable accepted, in bytes (a damaged shape can ask for more). */
  static final long MAX_TENSOR_BYTES = 1L << 31;

  private static final String REEXPORT = "copy or export the SavedModel again";
  private static final Set<String> VARIABLE_OPS = Set.of("VariableV2", "Variable", "VarHandleOp");
  private static Map<String, OpDef> registered;

  private final BiFunction<String, Throwable, ? extends RuntimeException> error;

  private SavedModelValidator(BiFunction<String, Throwable, ? extends RuntimeException> error) {
    this.error = error;
  }

  /** A validator that reports problems as the exceptions {@code error} makes. */
  public static SavedModelValidator reportingWith(
      BiFunction<String, Throwable, ? extends RuntimeException> error) {
    return new SavedModelValidator(error);
  }

  /** Reports problems as {@link ExportException}s. */
  public static SavedModelValidator forExport() {
    return new SavedModelValidator(ExportException::new);
  }

  private RuntimeException fail(String message) {
    return error.apply(message, null);
  }

  /** Parses {@code dir/saved_model.pb}; refuses a missing, unreadable or unparsable file. */
  public SavedModel parse(Path dir) {
    Path pb = dir.resolve(SAVED_MODEL_PB);
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(pb);
    } catch (NoSuchFileException e) {
      throw error.apply(pb + " does not exist: point to a SavedModel directory (one holding "
          + "saved_model.pb and variables/)", e);
    } catch (IOException e) {
      throw error.apply("cannot read " + pb + " (" + e + "): check that the file is readable", e);
    }
    if (bytes.length == 0) {
      throw fail(pb + " is empty: the file is truncated; " + REEXPORT);
    }
    SavedModel sm;
    try {
      sm = SavedModel.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw error.apply(pb + " cannot be parsed (" + e.getMessage() + "): the file is truncated "
          + "or corrupt; " + REEXPORT, e);
    }
    if (sm.getMetaGraphsCount() == 0) {
      throw fail(pb + " holds no meta graph: the file is truncated or not a SavedModel; "
          + REEXPORT);
    }
    return sm;
  }

  /** The meta graph tagged exactly {@code tags}; refuses when there is none. */
  public MetaGraphDef metaGraph(SavedModel sm, Path dir, Set<String> tags) {
    List<String> available = new ArrayList<>();
    for (MetaGraphDef m : sm.getMetaGraphsList()) {
      available.add("'" + String.join(",", m.getMetaInfoDef().getTagsList()) + "'");
      if (new HashSet<>(m.getMetaInfoDef().getTagsList()).equals(tags)) {
        return m;
      }
    }
    throw fail(dir + " has no meta graph tagged '" + String.join(",", tags) + "'; its meta graph"
        + (available.size() == 1 ? " is" : "s are") + " tagged " + String.join(" and ", available)
        + ": load it with one of those tags");
  }

  /**
   * Checks a meta graph: its graph ({@link #checkGraph}), its signatures' tensors and its saver's
   * nodes exist.
   */
  public void checkMetaGraph(MetaGraphDef meta, Path pb) {
    GraphDef gd = meta.getGraphDef();
    Map<String, NodeDef> nodes = checkGraph(gd, pb.toString());
    for (Map.Entry<String, SignatureDef> s : new TreeMap<>(meta.getSignatureDefMap()).entrySet()) {
      List<TensorInfo> infos = new ArrayList<>(s.getValue().getInputsMap().values());
      infos.addAll(s.getValue().getOutputsMap().values());
      for (TensorInfo info : infos) {
        if (info.hasCooSparse() || info.hasCompositeTensor()) {
          continue; // checked by the importer, which refuses them with its own message
        }
        String node = nodeOf(info.getName());
        if (!nodes.containsKey(node)) {
          throw fail("signature '" + s.getKey() + "' of " + pb + " names the tensor '"
              + info.getName() + "', but the graph has no node '" + node + "': the file is "
              + "damaged or the signature was written for another graph; " + REEXPORT);
        }
      }
    }
    if (meta.hasSaverDef()) {
      for (String t : List.of(meta.getSaverDef().getFilenameTensorName(),
          meta.getSaverDef().getRestoreOpName())) {
        if (!t.isEmpty() && !nodes.containsKey(nodeOf(t))) {
          throw fail("the saver of " + pb + " names '" + t + "', which is not in the graph: the "
              + "file is damaged; " + REEXPORT);
        }
      }
    }
  }

  /**
   * Checks a graph node by node against the ops registered in this TensorFlow; returns the nodes
   * by name.
   *
   * @param file the file the graph was read from, named in the messages
   */
  public Map<String, NodeDef> checkGraph(GraphDef gd, String file) {
    Map<String, OpDef> ops = registeredOps();
    Set<String> functions = new HashSet<>();
    gd.getLibrary().getFunctionList().forEach(f -> functions.add(f.getSignature().getName()));
    Map<String, NodeDef> nodes = new HashMap<>();
    for (NodeDef n : gd.getNodeList()) {
      if (n.getName().isEmpty() || nodes.put(n.getName(), n) != null) {
        throw fail(file + " has " + (n.getName().isEmpty() ? "a node without a name"
            : "two nodes named '" + n.getName() + "'") + ": the file is damaged; " + REEXPORT);
      }
    }
    for (NodeDef n : gd.getNodeList()) {
      OpDef op = ops.get(n.getOp());
      if (op == null) {
        if (functions.contains(n.getOp())) {
          continue; // a call of the graph's own function: checked when the function is imported
        }
        throw fail("node '" + n.getName() + "' of " + file + " has the op '" + n.getOp() + "', "
            + "which this TensorFlow (" + TensorFlow.version() + ") does not know: the file is "
            + "damaged, or the model needs a newer TensorFlow or a custom op library; "
            + REEXPORT);
      }
      for (String input : n.getInputList()) {
        String node = nodeOf(input);
        if (!nodes.containsKey(node)) {
          throw fail("node '" + n.getName() + "' of " + file + " reads '" + input + "', but the "
              + "graph has no node '" + node + "': the file is damaged; " + REEXPORT);
        }
        int colon = input.lastIndexOf(':');
        if (colon >= 0 && !input.substring(colon + 1).matches("\\d{1,6}")) {
          throw fail("node '" + n.getName() + "' of " + file + " reads '" + input + "', which "
              + "is not a tensor name (node:index): the file is damaged; " + REEXPORT);
        }
      }
      checkAttributes(n, op, file);
    }
    return nodes;
  }

  private void checkAttributes(NodeDef n, OpDef op, String file) {
    Map<String, OpDef.AttrDef> declared = new HashMap<>();
    op.getAttrList().forEach(a -> declared.put(a.getName(), a));
    String where = "node '" + n.getName() + "' (" + n.getOp() + ") of " + file;
    for (OpDef.AttrDef a : op.getAttrList()) {
      if (!a.hasDefaultValue() && !n.getAttrMap().containsKey(a.getName())) {
        throw fail(where + " lacks the attribute '" + a.getName() + "' its op requires: the "
            + "file is damaged; " + REEXPORT);
      }
    }
    for (Map.Entry<String, AttrValue> e : n.getAttrMap().entrySet()) {
      OpDef.AttrDef a = declared.get(e.getKey());
      if (a == null) {
        if (e.getKey().startsWith("_")) {
          continue; // internal attributes (e.g. _output_shapes, _class) that any node may carry
        }
        throw fail(where + " has the attribute '" + e.getKey() + "', which its op does not "
            + "declare: the file is damaged; " + REEXPORT);
      }
      String problem = attributeProblem(e.getValue(), a);
      if (problem != null) {
        throw fail(where + ": attribute '" + e.getKey() + "' " + problem + "; the file is "
            + "damaged; " + REEXPORT);
      }
    }
  }

  /** What is wrong with {@code v} as a value of {@code a}, or null. */
  private static String attributeProblem(AttrValue v, OpDef.AttrDef a) {
    String type = a.getType();
    boolean list = type.startsWith("list(");
    String element = list ? type.substring(5, type.length() - 1) : type;
    if (list) {
      if (v.getValueCase() != AttrValue.ValueCase.LIST
          && v.getValueCase() != AttrValue.ValueCase.VALUE_NOT_SET) {
        return "should be a list of " + element + " but is a " + v.getValueCase();
      }
      AttrValue.ListValue l = v.getList();
      for (DataType t : l.getTypeList()) {
        String p = typeProblem(t, a);
        if (p != null) {
          return p;
        }
      }
      for (TensorShapeProto s : l.getShapeList()) {
        String p = shapeProblem(s);
        if (p != null) {
          return p;
        }
      }
      for (TensorProto t : l.getTensorList()) {
        String p = tensorProblem(t);
        if (p != null) {
          return p;
        }
      }
      return null;
    }
    AttrValue.ValueCase expected = switch (element) {
      case "type" -> AttrValue.ValueCase.TYPE;
      case "int" -> AttrValue.ValueCase.I;
      case "float" -> AttrValue.ValueCase.F;
      case "bool" -> AttrValue.ValueCase.B;
      case "string" -> AttrValue.ValueCase.S;
      case "shape" -> AttrValue.ValueCase.SHAPE;
      case "tensor" -> AttrValue.ValueCase.TENSOR;
      case "func" -> AttrValue.ValueCase.FUNC;
      default -> null;
    };
    if (expected != null && v.getValueCase() != expected) {
      return "should be a " + element + " but is a " + v.getValueCase();
    }
    if (a.getHasMinimum() && element.equals("int") && v.getI() < a.getMinimum()) {
      return "is " + v.getI() + ", below its minimum " + a.getMinimum();
    }
    return switch (v.getValueCase()) {
      case TYPE -> typeProblem(v.getType(), a);
      case SHAPE -> shapeProblem(v.getShape());
      case TENSOR -> tensorProblem(v.getTensor());
      default -> null;
    };
  }

  private static String typeProblem(DataType t, OpDef.AttrDef a) {
    if (t == DataType.UNRECOGNIZED || t == DataType.DT_INVALID) {
      return "holds an invalid data type";
    }
    if (a.hasAllowedValues() && a.getAllowedValues().hasList()
        && a.getAllowedValues().getList().getTypeCount() > 0
        && !a.getAllowedValues().getList().getTypeList().contains(t)) {
      return "holds the type " + t + ", which its op does not accept";
    }
    return null;
  }

  private static String shapeProblem(TensorShapeProto s) {
    if (s.getUnknownRank() && s.getDimCount() > 0) {
      return "holds a shape of unknown rank with dimensions";
    }
    for (TensorShapeProto.Dim d : s.getDimList()) {
      if (d.getSize() < -1) {
        return "holds a shape with the dimension " + d.getSize();
      }
    }
    return null;
  }

  /** What is wrong with a constant's tensor, or null. */
  private static String tensorProblem(TensorProto t) {
    if (t.getDtype() == DataType.UNRECOGNIZED || t.getDtype() == DataType.DT_INVALID) {
      return "holds a tensor of an invalid data type";
    }
    long n = 1;
    for (TensorShapeProto.Dim d : t.getTensorShape().getDimList()) {
      if (d.getSize() < 0) {
        return "holds a tensor with the dimension " + d.getSize();
      }
      n = multiply(n, d.getSize());
    }
    if (t.getTensorShape().getUnknownRank()) {
      return "holds a tensor of unknown rank";
    }
    int size = byteSize(t.getDtype());
    if (size > 0 && multiply(n, size) > MAX_TENSOR_BYTES) {
      return "holds a tensor of " + n + " elements, more than a model's constant can be";
    }
    if (!t.getTensorContent().isEmpty()) {
      if (t.getDtype() == DataType.DT_STRING) {
        return null; // length-prefixed strings: TensorFlow checks the encoding as it decodes
      }
      if (size <= 0 || t.getTensorContent().size() != n * size) {
        return "holds " + t.getTensorContent().size() + " bytes for a tensor of " + n
            + " elements of " + t.getDtype();
      }
      return null;
    }
    int values = t.getFloatValCount() + t.getDoubleValCount() + t.getIntValCount()
        + t.getInt64ValCount() + t.getBoolValCount() + t.getStringValCount()
        + t.getHalfValCount() + t.getUint32ValCount() + t.getUint64ValCount()
        + t.getScomplexValCount() / 2 + t.getDcomplexValCount() / 2;
    if (values > n) {
      return "holds " + values + " values for a tensor of " + n + " elements";
    }
    if (size < 0 && values < n && t.getDtype() != DataType.DT_STRING) {
      return "holds a tensor of " + t.getDtype() + ", which a model's constant cannot be";
    }
    return null;
  }

  private static long multiply(long a, long b) {
    return b != 0 && a > Long.MAX_VALUE / b ? Long.MAX_VALUE : a * b;
  }

  /** Bytes per element of a fixed-size type; -1 for strings, resources and variants. */
  static int byteSize(DataType t) {
    return switch (t) {
      case DT_BOOL, DT_INT8, DT_UINT8, DT_QINT8, DT_QUINT8 -> 1;
      case DT_HALF, DT_BFLOAT16, DT_INT16, DT_UINT16, DT_QINT16, DT_QUINT16 -> 2;
      case DT_FLOAT, DT_INT32, DT_UINT32, DT_QINT32 -> 4;
      case DT_DOUBLE, DT_INT64, DT_UINT64, DT_COMPLEX64 -> 8;
      case DT_COMPLEX128 -> 16;
      default -> -1;
    };
  }

  /**
   * Checks {@code dir/variables/}: for a graph with variables, the index is an intact bundle
   * index, its data files exist, every entry fits its data file and matches its checksum, and
   * every {@code VariableV2} of {@code gd} has an entry of its dtype and shape (resource variables
   * are saved under other names). Nothing is checked for a graph without variables.
   */
  public void checkVariables(Path dir, GraphDef gd) {
    List<NodeDef> vars = gd.getNodeList().stream().filter(n -> VARIABLE_OPS.contains(n.getOp()))
        .toList();
    if (vars.isEmpty()) {
      return;
    }
    Path varDir = dir.resolve("variables");
    Path index = varDir.resolve("variables.index");
    boolean data;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(varDir, "variables.data-*")) {
      data = ds.iterator().hasNext();
    } catch (NoSuchFileException e) {
      data = false;
    } catch (IOException e) {
      throw error.apply("cannot list " + varDir + " (" + e + "): check that the directory is "
          + "readable", e);
    }
    boolean hasIndex = Files.isRegularFile(index);
    if (!hasIndex || !data) {
      throw fail(dir + " is missing its variable files (" + (hasIndex ? ""
          : "variables/variables.index") + (!hasIndex && !data ? " and " : "") + (data ? ""
          : "variables/variables.data-*") + "), which hold the values of its " + vars.size()
          + " variables (e.g. " + vars.get(0).getName() + "): copy the whole SavedModel "
          + "directory, saved_model.pb together with variables/");
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(index);
    } catch (IOException e) {
      throw error.apply("cannot read " + index + " (" + e + "): check that the file is readable",
          e);
    }
    if (bytes.length == 0) {
      throw fail(index + " is empty: the file is truncated; copy the whole SavedModel directory "
          + "again or re-export the model");
    }
    TensorBundleIndex.Index bundle;
    try {
      bundle = TensorBundleIndex.parse(bytes);
    } catch (IllegalArgumentException e) {
      throw error.apply(index + " is not an intact variables index: " + e.getMessage() + ". The "
          + "file is truncated or corrupt; copy the whole SavedModel directory again or "
          + "re-export the model", e);
    }
    int shards = bundle.header().getNumShards();
    if (shards < 1 || shards > 100_000) {
      throw fail(index + " declares " + shards + " data files: the file is corrupt; copy the "
          + "whole SavedModel directory again or re-export the model");
    }
    byte[][] shardBytes = new byte[shards][];
    for (Map.Entry<String, BundleEntryProto> e : bundle.entries().entrySet()) {
      BundleEntryProto entry = e.getValue();
      if (entry.getSlicesCount() > 0) {
        continue; // a partitioned variable: its slices are separate entries
      }
      if (entry.getShardId() < 0 || entry.getShardId() >= shards) {
        throw fail(index + " puts variable '" + e.getKey() + "' in data file "
            + entry.getShardId() + " of " + shards + ": the file is corrupt; copy the whole "
            + "SavedModel directory again or re-export the model");
      }
      Path shard = varDir.resolve(String.format("variables.data-%05d-of-%05d",
          entry.getShardId(), shards));
      if (shardBytes[entry.getShardId()] == null) {
        shardBytes[entry.getShardId()] = readShard(shard, e.getKey());
      }
      byte[] s = shardBytes[entry.getShardId()];
      long n = 1;
      for (TensorShapeProto.Dim d : entry.getShape().getDimList()) {
        n = d.getSize() < 0 ? -1 : multiply(n, d.getSize());
        if (n < 0) {
          break;
        }
      }
      int element = byteSize(entry.getDtype());
      if (n < 0 || (element > 0 && entry.getSize() != multiply(n, element))) {
        throw fail(index + " gives variable '" + e.getKey() + "' (" + entry.getDtype() + ", "
            + "shape " + dims(entry.getShape()) + ") " + entry.getSize() + " bytes: the file is "
            + "corrupt; copy the whole SavedModel directory again or re-export the model");
      }
      if (entry.getOffset() < 0 || entry.getSize() < 0
          || entry.getOffset() + entry.getSize() > s.length) {
        throw fail(shard + " has " + s.length + " bytes, but variable '" + e.getKey() + "' "
            + "lies at bytes " + entry.getOffset() + " to " + (entry.getOffset()
            + entry.getSize()) + ": the file is truncated; copy the whole SavedModel directory "
            + "again or re-export the model");
      }
      CRC32C crc = new CRC32C();
      crc.update(s, (int) entry.getOffset(), (int) entry.getSize());
      if (element > 0 && TensorBundleIndex.mask((int) crc.getValue()) != entry.getCrc32C()) {
        throw fail("the bytes of variable '" + e.getKey() + "' in " + shard + " do not match "
            + "their checksum: the file is corrupt; copy the whole SavedModel directory again or "
            + "re-export the model");
      }
    }
    for (NodeDef v : vars) {
      if (v.getOp().equals("VarHandleOp")) {
        continue; // saved under its object graph path, not its node name
      }
      BundleEntryProto entry = bundle.entries().get(v.getName());
      if (entry == null) {
        throw fail("variable '" + v.getName() + "' of " + dir.resolve(SAVED_MODEL_PB)
            + " is absent from " + index + " (it holds " + bundle.entries().size()
            + " variables): the variables do not belong to this graph; copy the whole "
            + "SavedModel directory, saved_model.pb together with its variables/, or re-export "
            + "the model");
      }
      AttrValue none = AttrValue.getDefaultInstance();
      DataType type = v.getAttrOrDefault("dtype", none).getType();
      String shape = dims(v.getAttrOrDefault("shape", none).getShape());
      if (entry.getDtype() != type || !dims(entry.getShape()).equals(shape)) {
        throw fail("variable '" + v.getName() + "' is " + type + " " + shape + " in "
            + dir.resolve(SAVED_MODEL_PB) + " but " + entry.getDtype() + " "
            + dims(entry.getShape()) + " in " + index + ": the variables do not belong to this "
            + "graph; copy the whole SavedModel directory again or re-export the model");
      }
    }
  }

  private byte[] readShard(Path shard, String variable) {
    try {
      long size = Files.size(shard);
      if (size > MAX_TENSOR_BYTES) {
        // too large to hold: check the sizes only, by reading the length
        throw fail(shard + " has " + size + " bytes, more than tf-prune reads; split the "
            + "model's variables");
      }
      try (InputStream in = Files.newInputStream(shard)) {
        return in.readAllBytes();
      }
    } catch (NoSuchFileException e) {
      throw error.apply(shard + " does not exist, but variables.index puts variable '"
          + variable + "' in it: copy the whole SavedModel directory (every variables.data-* "
          + "file) again or re-export the model", e);
    } catch (IOException e) {
      throw error.apply("cannot read " + shard + " (" + e + "): check that the file is readable",
          e);
    }
  }

  private static String dims(TensorShapeProto s) {
    List<Long> d = new ArrayList<>();
    s.getDimList().forEach(x -> d.add(x.getSize()));
    return d.toString();
  }

  /** The node of a tensor or input name: {@code ^a}, {@code a}, {@code a:1} all name {@code a}. */
  static String nodeOf(String tensor) {
    String s = tensor.startsWith("^") ? tensor.substring(1) : tensor;
    int colon = s.lastIndexOf(':');
    return colon < 0 ? s : s.substring(0, colon);
  }

  private static synchronized Map<String, OpDef> registeredOps() {
    if (registered == null) {
      Map<String, OpDef> m = new HashMap<>();
      TensorFlow.registeredOpList().getOpList().forEach(o -> m.put(o.getName(), o));
      registered = m;
    }
    return registered;
  }
}
