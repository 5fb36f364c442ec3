package org.tfprune.imports;

import com.google.common.collect.ImmutableSet;
import java.util.List;
import java.util.Optional;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operation;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.NodeDef;

/**
 * A table as TensorFlow filled it when it loaded the SavedModel (its init op run, its assets
 * fed): the keys and values {@code LookupTableExportV2} reads from the loaded session. It checks
 * the tables tf-prune reads itself, and reads the ones filled in ways it does not parse (a TF2
 * initializer function, {@code LookupTableImportV2} or {@code LookupTableInsertV2} in the init
 * op).
 */
final class TableExport {
  /** Resource tables whose contents {@code LookupTableExportV2} reads as they are. */
  static final ImmutableSet<String> EXPORTABLE = ImmutableSet.of("HashTableV2",
      "MutableHashTableV2");

  private TableExport() {}

  /**
   * The contents of {@code table} in the loaded SavedModel; empty for a frozen GraphDef, a
   * reference (TF1 v1) table, or a table the loaded graph does not hold under that name.
   */
  static Optional<TableContents> read(SourceModel source, NodeDef table, DataType keyType,
      DataType valueType, Object defaultValue, String what) {
    Optional<Session> loaded = source.loadedSession();
    if (loaded.isEmpty() || !EXPORTABLE.contains(table.getOp())) {
      return Optional.empty();
    }
    Session s = loaded.get();
    Graph g = s.graph();
    GraphOperation op = g.operation(table.getName());
    if (op == null || !op.type().equals(table.getOp())) {
      return Optional.empty();
    }
    String name;
    int i = 0;
    do {
      name = "tf_prune_export_table_" + i++;
    } while (g.operation(name) != null);
    Operation export = g.opBuilder("LookupTableExportV2", name, Ops.create(g).scope())
        .addInput(op.output(0)).setAttr("Tkeys", keyType).setAttr("Tvalues", valueType)
        .build();
    try (Result r = s.runner().fetch(export.output(0)).fetch(export.output(1)).run()) {
      List<Object> keys = TableContents.elements(r.get(0), what);
      List<Object> values = TableContents.elements(r.get(1), what);
      if (keys.size() != values.size()) {
        throw new ImportException(what + " reads table " + table.getName() + ", whose values "
            + "are not scalars (" + r.get(1).shape() + " for " + keys.size() + " keys): "
            + "tf-prune rewrites tables of one value per key");
      }
      return Optional.of(TableContents.inserted(keyType, valueType, keys, values,
          defaultValue, "the table TensorFlow loaded", what));
    } catch (ImportException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new ImportException(what + " reads table " + table.getName() + ", which "
          + "TensorFlow cannot read back after loading the model (" + e.getMessage().lines()
          .findFirst().orElse("") + "): export the model with its table initializer in the "
          + "init op, or write the values as a constant and look them up with GatherV2 "
          + "(tf.gather)", e);
    }
  }
}
