package org.tfprune.testing;

import com.google.protobuf.Any;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.InitializeTableFromTextFile;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.AssetFileDef;
import org.tensorflow.proto.CollectionDef;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TType;

/**
 * TF1 models whose serving signature looks up {@code ArgMax(logits) - SHIFT} (from -2 to 7: keys
 * the table holds, keys it lacks, negative keys and keys past its end) in a hash table
 * filled by the init op (the {@code saved_model_main_op} collection), in one of the forms of
 * {@link Kind}. Signature {@code serving_default}: input {@code x}, outputs {@code probs},
 * {@code classes} and {@code looked} (the lookup, node {@code looked}).
 */
public final class LookupTableModels {
  /** Subtracted from the class index to give the key looked up. */
  public static final long SHIFT = 2;
  /** The asset file of the text-file kinds, under {@code assets/}. */
  public static final String ASSET = "labels.txt";
  /** Lines of {@link Kind#LINE_NUMBERS_TO_LINES}: CRLF, a tab, no newline at the end. */
  public static final String LINES = "zero\r\none\ntwo words\n\tthree\nfour";
  /**
   * Lines of {@link Kind#CSV_COLUMNS}: an int64 code, then a string key; the fifth line is past
   * {@code vocab_size} 4.
   */
  public static final String CSV = "10,0\n 11 ,1,x\n12,2\n14,4\n15,5\n";

  /** How the table is filled. */
  public enum Kind {
    /** String keys ("0", "1", ...) to int64 values, from constants; default -1. */
    STRING_KEYS_TO_INT64,
    /**
     * Line numbers to whole lines of the asset {@link #LINES} (as {@code
     * index_to_string_table_from_file}), listed in the meta graph's {@code asset_file_def};
     * default "UNK".
     */
    LINE_NUMBERS_TO_LINES,
    /**
     * Column 1 (a string key) to column 0 (int64) of the asset {@link #CSV} split at ',', with
     * {@code vocab_size} 4, listed in the older {@code saved_model_assets} collection; default -1.
     */
    CSV_COLUMNS,
    /**
     * A {@code MutableHashTableV2} of int64 keys 0, 1, 2 and 4 to strings, filled by {@code
     * LookupTableImportV2} in the init op; default "UNK".
     */
    MUTABLE_IMPORTED,
    /**
     * As {@link #MUTABLE_IMPORTED}, but the lookup runs after {@code LookupTableInsertV2
     * table_insert} (key 3), so each serving call changes the table.
     */
    MUTABLE_INSERTED_WHILE_SERVING
  }

  private LookupTableModels() {}

  /** Writes the model of {@code kind} to {@code dir}. */
  public static void write(Path dir, Kind kind) {
    // TF-Java runs the init scope (the table's initializer) while building: it reads this copy,
    // deleted once written, so that the loaded model can only read the asset
    Path staging = dir.resolveSibling(dir.getFileName() + "-staging").resolve(ASSET);
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Files.createDirectories(staging.getParent());
      Files.writeString(staging, kind == Kind.LINE_NUMBERS_TO_LINES ? LINES : CSV,
          StandardCharsets.UTF_8);
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 784)));
      ControlFlowModels.Weights w = new ControlFlowModels.Weights(tf, s, 17);
      Ops d1 = tf.withSubScope("dense_1");
      Operand<TFloat32> h = d1.nn.relu(d1.nn.biasAdd(d1.linalg.matMul(x,
          w.of(d1, "kernel", 0.1f, 0f, 784, 32)), w.of(d1, "bias", 0.1f, 0f, 32)));
      Ops d2 = tf.withSubScope("dense_2");
      Operand<TFloat32> logits = d2.withName("BiasAdd").nn.biasAdd(d2.linalg.matMul(h,
          w.of(d2, "kernel", 0.4f, 0f, 32, 10)), w.of(d2, "bias", 0.1f, 0f, 10));
      Operand<TFloat32> probs = tf.withName("probs").nn.softmax(logits);
      Operand<TInt64> classes = tf.withName("classes").math.argMax(logits, tf.constant(1),
          TInt64.class);
      Operand<TInt64> keys = tf.withName("keys").math.sub(classes, tf.constant(SHIFT));
      Ops init = tf.withInitScope();
      boolean stringKeys = kind == Kind.STRING_KEYS_TO_INT64 || kind == Kind.CSV_COLUMNS;
      boolean mutable = kind == Kind.MUTABLE_IMPORTED
          || kind == Kind.MUTABLE_INSERTED_WHILE_SERVING;
      Operand<? extends TType> table = mutable
          ? init.withName("table").mutableHashTable(TInt64.class, TString.class)
          : stringKeys ? init.withName("table").hashTable(TString.class, TInt64.class)
          : init.withName("table").hashTable(TInt64.class, TString.class);
      Ops serving = tf;
      switch (kind) {
        case STRING_KEYS_TO_INT64 -> init.withName("table_init").initializeTable(table,
            init.constant(Shape.of(6), DataBuffers.ofObjects("0", "1", "2", "4", "5", "x")),
            init.constant(new long[] {100, 101, 102, 104, 105, 199}));
        case LINE_NUMBERS_TO_LINES -> init.withName("table_init").initializeTableFromTextFile(
            table, init.withName("table_file").constant(staging.toString()), -1L, -2L);
        case CSV_COLUMNS -> init.withName("table_init").initializeTableFromTextFile(table,
            init.withName("table_file").constant(staging.toString()), 1L, 0L,
            InitializeTableFromTextFile.delimiter(","),
            InitializeTableFromTextFile.vocabSize(4L));
        case MUTABLE_IMPORTED, MUTABLE_INSERTED_WHILE_SERVING -> {
          init.withName("table_init").lookupTableImport(table,
              init.constant(new long[] {0, 1, 2, 4}), init.constant(Shape.of(4),
                  DataBuffers.ofObjects("zero", "one", "two", "four")));
          if (kind == Kind.MUTABLE_INSERTED_WHILE_SERVING) {
            serving = tf.withControlDependencies(List.of(tf.withName("table_insert")
                .lookupTableInsert(table, tf.constant(new long[] {3}),
                    tf.constant(Shape.of(1), DataBuffers.ofObjects("three")))));
          }
        }
        default -> throw new IllegalArgumentException(kind.toString());
      }
      Operand<? extends TType> looked = stringKeys
          ? tf.withName("looked").lookupTableFind(table, tf.withName("key_text").dtypes
              .asString(keys), tf.constant(-1L))
          : serving.withName("looked").lookupTableFind(table, keys, tf.constant("UNK"));
      SavedModelBundle.exporter(dir.toString()).withSession(s).withSignatures(
          Signature.builder().key("serving_default").input("x", x).output("probs", probs)
              .output("classes", classes).output("looked", looked).build())
          .export();
      finish(dir, kind);
      Files.delete(staging);
      Files.delete(staging.getParent());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Adds the init op TF1 writes for {@code tf.tables_initializer()} (TF-Java's exporter writes
   * none) and, for the text-file kinds, the asset: the file under {@code assets/} and its entry,
   * which makes the loader feed the file's path to {@code table_file}.
   */
  private static void finish(Path dir, Kind kind) throws IOException {
    Path pb = dir.resolve("saved_model.pb");
    SavedModel sm = SavedModel.parseFrom(Files.readAllBytes(pb));
    MetaGraphDef.Builder meta = sm.getMetaGraphs(0).toBuilder();
    meta.getGraphDefBuilder().addNode(NodeDef.newBuilder().setName("init_all_tables")
        .setOp("NoOp").addInput("^table_init"));
    meta.putCollectionDef("saved_model_main_op", CollectionDef.newBuilder().setNodeList(
        CollectionDef.NodeList.newBuilder().addValue("init_all_tables")).build());
    if (kind == Kind.LINE_NUMBERS_TO_LINES || kind == Kind.CSV_COLUMNS) {
      AssetFileDef asset = AssetFileDef.newBuilder().setFilename(ASSET).setTensorInfo(
          TensorInfo.newBuilder().setName("table_file:0").setDtype(DataType.DT_STRING)).build();
      if (kind == Kind.LINE_NUMBERS_TO_LINES) {
        meta.addAssetFileDef(asset);
      } else {
        meta.putCollectionDef("saved_model_assets", CollectionDef.newBuilder().setAnyList(
            CollectionDef.AnyList.newBuilder().addValue(Any.pack(asset))).build());
      }
      Files.createDirectories(dir.resolve("assets"));
      Files.writeString(dir.resolve("assets").resolve(ASSET),
          kind == Kind.LINE_NUMBERS_TO_LINES ? LINES : CSV, StandardCharsets.UTF_8);
    }
    Files.write(pb, sm.toBuilder().setMetaGraphs(0, meta).build().toByteArray());
  }
}
