package org.tfprune.imports;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.tensorflow.Result;
import org.tensorflow.Tensor;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TString;
import org.tfprune.export.ServingContract;

/**
 * A lookup after the logits in a hash table ({@code LookupTableFindV2}, e.g. class names by
 * class index), rewritten as exactly equivalent constants and a {@code GatherV2} ({@link
 * TableGraph}): TF-Java's exporter writes no table init op, so the table itself cannot ride
 * along. The table's contents come from its initializer: {@code InitializeTableV2} of
 * constants, or {@code InitializeTableFromTextFileV2} of a file (an asset of the SavedModel,
 * {@link TableAssets}) parsed as TensorFlow parses it ({@link TableTextFile}). A table of a
 * loaded SavedModel is also read back from TensorFlow ({@link TableExport}): that checks the
 * parse, and gives the contents of tables filled in other ways (a TF2 initializer function, a
 * mutable table imported into by the init op). Keys may be int32, int64 or strings; values
 * int32, int64, float, double, bool or strings; the default a scalar constant. The lookup keeps
 * its node name, output type and shape, so the signature's tensor names are unchanged.
 */
final class TableLookups {
  /** Hash tables of scalars a lookup may read. */
  static final ImmutableSet<String> TABLES = ImmutableSet.of("HashTableV2", "HashTable",
      "MutableHashTableV2", "MutableHashTable");
  /** Ops that change a table's contents after its initializer. */
  static final ImmutableSet<String> MUTATORS = ImmutableSet.of("LookupTableInsertV2",
      "LookupTableInsert", "LookupTableRemoveV2", "LookupTableImportV2", "LookupTableImport");

  /**
   * The nodes replacing a lookup (the lookup's name last), the keys tensor it reads, how many
   * keys the table holds and what filled it.
   */
  record Replacement(ImmutableList<NodeDef> nodes, TensorRef keys, int entries,
      String filledFrom) {}

  private TableLookups() {}

  /** Whether {@code n} is a table lookup this class rewrites (or refuses with the reason). */
  static boolean isLookup(NodeDef n) {
    return n.getOp().equals("LookupTableFindV2") || n.getOp().equals("LookupTableFind");
  }

  /**
   * The constants and gather computing what {@code find} looks up.
   *
   * @throws ImportException when the table, its types, its default or its initializer are of a
   *     kind tf-prune does not rewrite, or its asset file cannot be read
   */
  static Replacement asGather(NodeDef find, GraphIndex g, SourceModel source) {
    List<TensorRef> in = GraphIndex.dataInputs(find);
    String what = find.getOp() + " " + find.getName() + " of " + source.path();
    NodeDef table = g.node(g.resolve(in.get(0)));
    if (!TABLES.contains(table.getOp())) {
      throw new ImportException(what + " looks up " + table.getOp() + " " + table.getName()
          + ", a table tf-prune cannot rewrite (it rewrites hash tables of scalars): write the "
          + "values as a constant and look them up with GatherV2 (tf.gather) instead");
    }
    DataType kt = find.getAttrOrThrow("Tin").getType();
    DataType vt = find.getAttrOrThrow("Tout").getType();
    if (!TableContents.KEY_TYPES.contains(kt) || !TableContents.VALUE_TYPES.contains(vt)) {
      throw new ImportException(what + " has keys of type " + kt + " and values of type " + vt
          + ": tf-prune rewrites tables of " + TableContents.KEY_TYPES + " keys and "
          + TableContents.VALUE_TYPES + " values; write the values as a constant and look "
          + "them up with GatherV2 (tf.gather) instead");
    }
    Object deflt = defaultValue(in.get(2), g, source, what);
    List<NodeDef> fillers = g.nodes().stream().filter(n -> (n.getOp().startsWith(
        "InitializeTable") || MUTATORS.contains(n.getOp())) && n.getInputCount() > 0
        && g.resolve(TensorRef.parse(n.getInput(0))).node().equals(table.getName())).toList();
    refuseChangesWhileServing(fillers, g, source, what);
    TableContents c = contents(table, fillers, kt, vt, deflt, g, source, what);
    return new Replacement(TableGraph.nodes(find, in.get(1), c), in.get(1), c.keys().size(),
        c.filledFrom());
  }

  private static TableContents contents(NodeDef table, List<NodeDef> fillers, DataType kt,
      DataType vt, Object deflt, GraphIndex g, SourceModel source, String what) {
    boolean fixed = table.getOp().startsWith("HashTable");
    String op = fillers.size() == 1 ? fillers.get(0).getOp() : "";
    TableContents parsed = !fixed ? null
        : op.equals("InitializeTableV2") || op.equals("InitializeTable")
            ? fromConstants(fillers.get(0), kt, vt, deflt, g, source, what)
        : op.startsWith("InitializeTableFromTextFile")
            ? fromFile(fillers.get(0), kt, vt, deflt, g, source, what)
        : null;
    Optional<TableContents> loaded = TableExport.read(source, table, kt, vt, deflt, what);
    if (parsed != null) {
      loaded.ifPresent(l -> checkSame(parsed, l, table, what));
      return parsed;
    }
    return loaded.orElseThrow(() -> new ImportException(what + " looks up " + table.getOp()
        + " " + table.getName() + ", which " + (fillers.isEmpty() ? "nothing in the graph "
        + "fills" : "is filled by " + fillers.stream().map(n -> n.getOp() + " " + n.getName())
        .toList()) + ": tf-prune reads a table filled once from constants "
        + "(InitializeTableV2) or a text file (InitializeTableFromTextFileV2), or, in a "
        + "SavedModel, the table TensorFlow filled when loading it. Export the model with its "
        + "table initializer in the init op (main_op / legacy_init_op)"));
  }

  private static TableContents fromConstants(NodeDef init, DataType kt, DataType vt,
      Object deflt, GraphIndex g, SourceModel source, String what) {
    List<TensorRef> in = GraphIndex.dataInputs(init);
    for (TensorRef t : List.of(in.get(1), in.get(2))) {
      if (!g.node(g.resolve(t)).getOp().equals("Const")) {
        throw new ImportException(what + " reads a table filled from " + t + ", which is not "
            + "a constant: tf-prune keeps a table filled from constants or a text file");
      }
    }
    try (Result r = source.session().runner().fetch(in.get(1).toString())
        .fetch(in.get(2).toString()).run()) {
      checkType(r.get(0), kt, "keys", what);
      checkType(r.get(1), vt, "values", what);
      return TableContents.inserted(kt, vt, TableContents.elements(r.get(0), what),
          TableContents.elements(r.get(1), what), deflt, "constants", what);
    }
  }

  private static TableContents fromFile(NodeDef init, DataType kt, DataType vt, Object deflt,
      GraphIndex g, SourceModel source, String what) {
    Path file = file(GraphIndex.dataInputs(init).get(1), g, source, what);
    AttrValue delimiter = init.getAttrMap().get("delimiter");
    byte[] d = delimiter == null ? new byte[] {'\t'} : delimiter.getS().toByteArray();
    if (d.length != 1) {
      throw new ImportException(what + " reads a text file split at '" + new String(d,
          StandardCharsets.UTF_8) + "': TensorFlow takes a delimiter of one character");
    }
    TableTextFile.Format f = new TableTextFile.Format(
        init.getAttrOrThrow("key_index").getI(), init.getAttrOrThrow("value_index").getI(), d[0],
        attr(init, "vocab_size", -1), attr(init, "offset", 0));
    Path shown = file.startsWith(source.path()) ? source.path().relativize(file) : file;
    TableTextFile.Entries e = TableTextFile.read(file, f, kt, vt, what + " (a table filled from "
        + shown + ")");
    return TableContents.inserted(kt, vt, e.keys(), e.values(), deflt, "the text file "
        + shown, what);
  }

  /**
   * The file a text-file initializer reads: the asset the SavedModel loader feeds to that
   * tensor, else the path a string constant holds.
   */
  private static Path file(TensorRef name, GraphIndex g, SourceModel source, String what) {
    TensorRef r = g.resolve(name);
    Path asset = source.assets().get(r.toString());
    if (asset == null) {
      asset = source.assets().get(name.toString());
    }
    if (asset != null) {
      return asset;
    }
    NodeDef n = g.node(r);
    if (!n.getOp().equals("Const")) {
      throw new ImportException(what + " reads a table filled from the file named by " + r
          + " (" + n.getOp() + "), which is neither a constant nor an asset of the SavedModel: "
          + "tf-prune cannot tell which file TensorFlow reads");
    }
    try (Result v = source.session().runner().fetch(r.toString()).run()) {
      if (!(v.get(0) instanceof TString s) || v.get(0).shape().numDimensions() != 0) {
        throw new ImportException(what + " reads a table filled from the file named by " + r
            + ", which is not a string scalar");
      }
      return Path.of(s.getObject());
    }
  }

  private static long attr(NodeDef n, String name, long fallback) {
    AttrValue v = n.getAttrMap().get(name);
    return v == null ? fallback : v.getI();
  }

  private static Object defaultValue(TensorRef t, GraphIndex g, SourceModel source,
      String what) {
    if (!g.node(g.resolve(t)).getOp().equals("Const")) {
      throw new ImportException(what + " reads its default from " + t + ", which is not a "
          + "constant: tf-prune keeps a lookup with a constant default");
    }
    try (Result r = source.session().runner().fetch(t.toString()).run()) {
      if (r.get(0).shape().numDimensions() != 0) {
        throw new ImportException(what + " has a default of shape " + r.get(0).shape()
            + ": tf-prune keeps a lookup with a scalar default");
      }
      return TableContents.elements(r.get(0), what).get(0);
    }
  }

  private static void checkType(Tensor t, DataType type, String role, String what) {
    if (t.dataType() != type) {
      throw new ImportException(what + " reads a table filled with " + role + " of type "
          + t.dataType() + " where the lookup reads " + type + ": the graph is inconsistent; "
          + "export the model again");
    }
  }

  /** Refuses a table that a signature inserts into, removes from or imports into. */
  private static void refuseChangesWhileServing(List<NodeDef> fillers, GraphIndex g,
      SourceModel source, String what) {
    List<NodeDef> mutators = fillers.stream().filter(n -> MUTATORS.contains(n.getOp())).toList();
    if (mutators.isEmpty()) {
      return;
    }
    Set<String> seen = new HashSet<>();
    Deque<String> todo = new ArrayDeque<>();
    for (ServingContract.Signature s : source.signatures()) {
      s.outputs().values().forEach(t -> todo.push(TensorRef.parse(t).node()));
    }
    while (!todo.isEmpty()) {
      String name = todo.pop();
      if (seen.add(name) && g.find(name).isPresent()) {
        g.node(name).getInputList().forEach(i -> todo.push(TensorRef.parse(i).node()));
      }
    }
    for (NodeDef m : mutators) {
      if (seen.contains(m.getName())) {
        throw new ImportException(what + " looks up a table that " + m.getOp() + " "
            + m.getName() + " changes whenever a signature runs: its contents are not fixed, "
            + "so tf-prune cannot write them as a constant");
      }
    }
  }

  private static void checkSame(TableContents parsed, TableContents loaded, NodeDef table,
      String what) {
    Map<Object, Object> a = map(parsed);
    Map<Object, Object> b = map(loaded);
    if (a.equals(b)) {
      return;
    }
    Object key = a.keySet().stream().filter(k -> !a.get(k).equals(b.get(k))).findFirst()
        .orElseGet(() -> b.keySet().stream().filter(k -> !a.containsKey(k)).findFirst()
            .orElse(null));
    throw new ImportException(what + " reads table " + table.getName() + ", which tf-prune "
        + "read from " + parsed.filledFrom() + " as " + a.size() + " keys but TensorFlow "
        + "loaded as " + b.size() + " keys, differing at key " + TableContents.show(key) + " ("
        + TableContents.show(a.get(key)) + " vs " + TableContents.show(b.get(key)) + "): "
        + "this is a bug in tf-prune; please report it with the model");
  }

  private static Map<Object, Object> map(TableContents c) {
    Map<Object, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < c.keys().size(); i++) {
      m.put(c.keys().get(i), c.values().get(i));
    }
    return m;
  }
}
