package org.tfprune.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
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
import org.tensorflow.op.core.HashTable;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.CollectionDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * A TF1 model whose serving signature names its classes through a hash table: {@code
 * LookupTableFindV2} of a {@code HashTableV2} on the {@code ArgMax} indices, the table filled
 * by {@code InitializeTableV2} from constants in the SavedModel's init op (the {@code
 * saved_model_main_op} collection, as TF1's {@code legacy_init_op=tf.tables_initializer()}).
 */
public final class TableModels {
  /** Names by class index; the table holds those of indices 0 to 6 but {@link #HOLE}. */
  public static final List<String> NAMES = List.of("zero", "one", "two", "three", "four",
      "five", "six");
  /** An index below the largest key that the table lacks. */
  public static final int HOLE = 3;
  /** The table's default, for indices it lacks. */
  public static final String UNKNOWN = "unknown";

  private TableModels() {}

  /** The name the table gives class {@code index}: its entry, else {@link #UNKNOWN}. */
  public static String name(long index) {
    return index >= 0 && index < NAMES.size() && index != HOLE ? NAMES.get((int) index)
        : UNKNOWN;
  }

  /**
   * Adds the init op TF1 writes for {@code tf.tables_initializer()} (TF-Java's exporter writes
   * none): a {@code NoOp} running {@code initializer}, named in the {@code saved_model_main_op}
   * collection, which the SavedModel loader runs.
   */
  private static void addMainOp(Path pb, String initializer) throws IOException {
    SavedModel sm = SavedModel.parseFrom(Files.readAllBytes(pb));
    MetaGraphDef.Builder meta = sm.getMetaGraphs(0).toBuilder();
    meta.getGraphDefBuilder().addNode(NodeDef.newBuilder().setName("init_all_tables")
        .setOp("NoOp").addInput("^" + initializer));
    meta.putCollectionDef("saved_model_main_op", CollectionDef.newBuilder().setNodeList(
        CollectionDef.NodeList.newBuilder().addValue("init_all_tables")).build());
    Files.write(pb, sm.toBuilder().setMetaGraphs(0, meta).build().toByteArray());
  }

  /**
   * An MLP 784-32-10 (ReLU, logits, softmax). Signature {@code serving_default}: input {@code
   * x}, outputs {@code probs}, {@code classes} (ArgMax) and {@code class_names} (the table's
   * name for each class, {@link #UNKNOWN} for the classes it lacks); signature {@code names}: output {@code
   * names}, the same lookup.
   */
  public static void write(Path dir) {
    write(dir, false);
  }

  /**
   * As {@link #write(Path)}; with {@code stringKeys} the table's keys are the class indices as
   * strings ("0", "1", ...) and the lookup reads {@code AsString} of the ArgMax.
   */
  public static void write(Path dir, boolean stringKeys) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 784)));
      ControlFlowModels.Weights w = new ControlFlowModels.Weights(tf, s, 13);
      Ops d1 = tf.withSubScope("dense_1");
      Operand<TFloat32> h = d1.nn.relu(d1.nn.biasAdd(d1.linalg.matMul(x,
          w.of(d1, "kernel", 0.1f, 0f, 784, 32)), w.of(d1, "bias", 0.1f, 0f, 32)));
      Ops d2 = tf.withSubScope("dense_2");
      Operand<TFloat32> logits = d2.withName("BiasAdd").nn.biasAdd(d2.linalg.matMul(h,
          w.of(d2, "kernel", 0.4f, 0f, 32, 10)), w.of(d2, "bias", 0.1f, 0f, 10));
      Operand<TFloat32> probs = tf.withName("probs").nn.softmax(logits);
      Operand<TInt64> classes = tf.withName("classes").math.argMax(logits, tf.constant(1),
          TInt64.class);
      Ops init = tf.withInitScope();
      HashTable table = stringKeys
          ? init.withName("class_table").hashTable(TString.class, TString.class)
          : init.withName("class_table").hashTable(TInt64.class, TString.class);
      List<Integer> held = java.util.stream.IntStream.range(0, NAMES.size())
          .filter(i -> i != HOLE).boxed().toList();
      long[] keys = held.stream().mapToLong(i -> i).toArray();
      String[] values = held.stream().map(NAMES::get).toArray(String[]::new);
      String[] textKeys = java.util.Arrays.stream(keys).mapToObj(Long::toString)
          .toArray(String[]::new);
      init.withName("class_table_init").initializeTable(table, stringKeys
          ? init.constant(Shape.of(keys.length), DataBuffers.ofObjects(textKeys))
          : init.constant(keys),
          init.constant(Shape.of(values.length),
          DataBuffers.ofObjects(values)));
      Operand<TString> names = tf.withName("class_names").lookupTableFind(table, stringKeys
          ? tf.withName("class_keys").dtypes.asString(classes) : classes,
          tf.constant(UNKNOWN));
      SavedModelBundle.exporter(dir.toString()).withSession(s).withSignatures(
          Signature.builder().key("serving_default").input("x", x).output("probs", probs)
              .output("classes", classes).output("class_names", names).build(),
          Signature.builder().key("names").input("x", x).output("names", names).build())
          .export();
      addMainOp(dir.resolve("saved_model.pb"), "class_table_init");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
