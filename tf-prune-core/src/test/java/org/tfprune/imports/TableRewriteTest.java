package org.tfprune.imports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.collect.ImmutableList;
import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * The table rewrite against TensorFlow's own tables: the constants and gather of {@link
 * TableGraph} return what {@code LookupTableFindV2} of a {@code HashTableV2} returns (value,
 * type and shape) for keys of every type, on keys the table holds, lacks, negative and extreme
 * ones; and {@link TableTextFile} reads a text file as {@code InitializeTableFromTextFileV2} does
 * (the table TensorFlow fills, read back with {@code LookupTableExportV2}), or refuses it where
 * TensorFlow fails.
 */
class TableRewriteTest {
  @TempDir Path tmp;

  @Test
  void sparseInt64KeysToDoublesAreMatched() {
    TableContents c = contents(DataType.DT_INT64, DataType.DT_DOUBLE,
        List.of(-5L, 3L, 1L << 40, Long.MIN_VALUE, 7L), List.of(0.5, -1.25, 1e300, -0.0, 7.0),
        2.5);
    assertThat(TableGraph.isDense(c)).isFalse();
    long[] probe = {-5, 3, 1L << 40, Long.MIN_VALUE, 7, 0, -1, 4, Long.MAX_VALUE, 8};
    assertSameAsTensorFlow(c, TInt64.tensorOf(Shape.of(2, 5), DataBuffers.of(probe, true,
        false)));
    assertSameAsTensorFlow(c, TInt64.scalarOf(3));
    assertSameAsTensorFlow(c, TInt64.scalarOf(4));
  }

  @Test
  void denseInt32KeysToFloatsAreGatheredAtTheKey() {
    TableContents c = contents(DataType.DT_INT32, DataType.DT_FLOAT, List.of(0L, 1L, 2L, 5L),
        List.of(1.5f, -2f, 0f, 3.25f), 0.5f);
    assertThat(TableGraph.isDense(c)).isTrue();
    int[] probe = {-1, 0, 1, 2, 3, 4, 5, 6, 7, Integer.MIN_VALUE, Integer.MAX_VALUE, 2};
    assertSameAsTensorFlow(c, TInt32.tensorOf(Shape.of(3, 4), DataBuffers.of(probe, true,
        false)));
    assertSameAsTensorFlow(c, TInt32.scalarOf(-1));
  }

  @Test
  void stringKeysToBoolsAreMatchedByteForByte() {
    TableContents c = contents(DataType.DT_STRING, DataType.DT_BOOL, List.of(bytes("a"),
        bytes(""), bytes("\u00fc"), bytes("b c")), List.of(true, true, false, true), false);
    assertThat(TableGraph.isDense(c)).isFalse();
    assertSameAsTensorFlow(c, TString.tensorOf(Shape.of(2, 4), DataBuffers.ofObjects("a", "",
        "\u00fc", "b c", "A", "b", "u", " a")));
    assertSameAsTensorFlow(c, TString.scalarOf(""));
  }

  @Test
  void denseInt64KeysToStringsAreGatheredAtTheKey() {
    TableContents names = contents(DataType.DT_INT64, DataType.DT_STRING, List.of(2L, 0L, 1L),
        List.of(bytes("two"), bytes("zero"), bytes("one")), bytes("?"));
    assertThat(TableGraph.isDense(names)).isTrue();
    long[] probe = {0, 1, 2, 3, -1, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 20};
    assertSameAsTensorFlow(names, TInt64.tensorOf(Shape.of(8), DataBuffers.of(probe, true,
        false)));
  }

  @Test
  void textFilesAreReadAsTensorFlowReadsThem() throws Exception {
    // line numbers (plus offset) to whole lines: CRLF, a leading tab, no newline at the end
    assertFileReadAsTensorFlow("a\r\nb\n c \n\td", DataType.DT_INT64, DataType.DT_STRING, -1,
        -2, "\t", -1, 3);
    // whole lines to line numbers (index_table_from_file); a last line of '\r' only ends it
    assertFileReadAsTensorFlow("x\ny\r\nz\n\r", DataType.DT_STRING, DataType.DT_INT64, -2, -1,
        "\t", -1, 0);
    // whole lines as int64 keys, spaces around
    assertFileReadAsTensorFlow(" 42 \n-7\n0\n", DataType.DT_INT64, DataType.DT_INT64, -2, -1,
        "\t", -1, 0);
    // int64 and int32 columns (the offset added to int32), empty fields kept
    assertFileReadAsTensorFlow("1, 2 ,x\n-3,4,\n 5 ,-6,y\n", DataType.DT_INT64,
        DataType.DT_INT32, 0, 1, ",", -1, 10);
    // float and double columns
    String numbers = "a\t1.5\nb\t-2e3\nc\t .25 \nd\tinf\ne\t1e-50\nf\t+3.\ng\t-NaN\n";
    assertFileReadAsTensorFlow(numbers, DataType.DT_STRING, DataType.DT_FLOAT, 0, 1, "\t", -1,
        0);
    assertFileReadAsTensorFlow(numbers, DataType.DT_STRING, DataType.DT_DOUBLE, 0, 1, "\t", -1,
        0);
    // vocab_size below the line count: the lines after it are not read, even an empty one
    assertFileReadAsTensorFlow("p;1\nq;2\n\n", DataType.DT_STRING, DataType.DT_INT64, 0, 1, ";",
        2, 0);
    // a key twice with the same value
    assertFileReadAsTensorFlow("k\t1\nk\t1\n", DataType.DT_STRING, DataType.DT_INT64, 0, 1, "\t",
        -1, 0);
  }

  @Test
  void textFilesTensorFlowRefusesAreRefused() throws Exception {
    assertRefusedLikeTensorFlow("a\n\nb\n", DataType.DT_INT64, DataType.DT_STRING, -1, -2, -1,
        "empty");
    assertRefusedLikeTensorFlow("a\nb\n", DataType.DT_INT64, DataType.DT_STRING, -1, -2, 3,
        "expects 3 lines");
    assertRefusedLikeTensorFlow("1x\n", DataType.DT_INT64, DataType.DT_INT64, -2, -1, -1,
        "not a valid DT_INT64");
    assertRefusedLikeTensorFlow("+1\n", DataType.DT_INT64, DataType.DT_INT64, -2, -1, -1,
        "not a valid DT_INT64");
    assertRefusedLikeTensorFlow("9223372036854775808\n", DataType.DT_INT64, DataType.DT_INT64,
        -2, -1, -1, "not a valid DT_INT64");
    assertRefusedLikeTensorFlow("a\tb\n", DataType.DT_STRING, DataType.DT_STRING, 0, 2, -1,
        "field(s)");
    assertRefusedLikeTensorFlow("", DataType.DT_INT64, DataType.DT_STRING, -1, -2, -1,
        "holds no line");
    assertRefusedLikeTensorFlow("k\t1\nk\t2\n", DataType.DT_STRING, DataType.DT_INT64, 0, 1, -1,
        "twice");
  }

  private static ByteString bytes(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private static TableContents contents(DataType k, DataType v, List<Object> keys,
      List<Object> values, Object deflt) {
    return new TableContents(k, v, ImmutableList.copyOf(keys), ImmutableList.copyOf(values),
        deflt, "constants");
  }

  /** Looks {@code keys} up in a HashTableV2 of {@code c} and in its rewrite: the same output. */
  private static void assertSameAsTensorFlow(TableContents c, Tensor keys) {
    NodeDef find = node("find", "LookupTableFindV2", "table", "keys", "default")
        .putAttr("Tin", type(c.keyType())).putAttr("Tout", type(c.valueType())).build();
    GraphDef original = GraphDef.newBuilder()
        .addNode(node("keys", "Placeholder").putAttr("dtype", type(c.keyType())))
        .addNode(node("table", "HashTableV2").putAttr("key_dtype", type(c.keyType()))
            .putAttr("value_dtype", type(c.valueType())))
        .addNode(constant("table_keys", TableContents.vector(c.keyType(), c.keys())))
        .addNode(constant("table_values", TableContents.vector(c.valueType(), c.values())))
        .addNode(constant("default", scalar(c.valueType(), c.defaultValue())))
        .addNode(node("init", "InitializeTableV2", "table", "table_keys", "table_values")
            .putAttr("Tkey", type(c.keyType())).putAttr("Tval", type(c.valueType())))
        .addNode(find).build();
    GraphDef rewritten = GraphDef.newBuilder()
        .addNode(node("keys", "Placeholder").putAttr("dtype", type(c.keyType())))
        .addAllNode(TableGraph.nodes(find, new TensorRef("keys", 0), c)).build();
    try (keys; Graph a = new Graph(); Graph b = new Graph()) {
      a.importGraphDef(original);
      b.importGraphDef(rewritten);
      try (Session sa = new Session(a); Session sb = new Session(b)) {
        sa.runner().addTarget("init").run().close();
        try (Result ra = sa.runner().feed("keys", keys).fetch("find").run();
            Result rb = sb.runner().feed("keys", keys).fetch("find").run()) {
          assertThat(rb.get(0).shape()).isEqualTo(ra.get(0).shape()).isEqualTo(keys.shape());
          assertThat(rb.get(0).dataType()).isEqualTo(ra.get(0).dataType());
          assertThat(TableContents.elements(rb.get(0), "rewrite"))
              .isEqualTo(TableContents.elements(ra.get(0), "table"));
        }
      }
    }
  }

  /** The table InitializeTableFromTextFileV2 fills from {@code text}, or its error. */
  private Object tensorFlowTable(Path file, DataType k, DataType v, long keyIndex,
      long valueIndex, String delimiter, long vocabSize, long offset) {
    GraphDef g = GraphDef.newBuilder()
        .addNode(node("table", "HashTableV2").putAttr("key_dtype", type(k))
            .putAttr("value_dtype", type(v)))
        .addNode(constant("file", TableContents.vector(DataType.DT_STRING,
            List.of(bytes(file.toString()))).toBuilder()
            .setTensorShape(TensorShapeProto.getDefaultInstance()).build()))
        .addNode(node("init", "InitializeTableFromTextFileV2", "table", "file")
            .putAttr("key_index", AttrValue.newBuilder().setI(keyIndex).build())
            .putAttr("value_index", AttrValue.newBuilder().setI(valueIndex).build())
            .putAttr("vocab_size", AttrValue.newBuilder().setI(vocabSize).build())
            .putAttr("offset", AttrValue.newBuilder().setI(offset).build())
            .putAttr("delimiter", AttrValue.newBuilder().setS(bytes(delimiter)).build()))
        .addNode(node("export", "LookupTableExportV2", "table").putAttr("Tkeys", type(k))
            .putAttr("Tvalues", type(v))).build();
    try (Graph graph = new Graph()) {
      graph.importGraphDef(g);
      try (Session s = new Session(graph)) {
        try {
          s.runner().addTarget("init").run().close();
        } catch (RuntimeException e) {
          return e;
        }
        try (Result r = s.runner().fetch("export", 0).fetch("export", 1).run()) {
          Map<Object, Object> m = new LinkedHashMap<>();
          List<Object> keys = TableContents.elements(r.get(0), "keys");
          List<Object> values = TableContents.elements(r.get(1), "values");
          for (int i = 0; i < keys.size(); i++) {
            m.put(keys.get(i), values.get(i));
          }
          return m;
        }
      }
    }
  }

  private void assertFileReadAsTensorFlow(String text, DataType k, DataType v, long keyIndex,
      long valueIndex, String delimiter, long vocabSize, long offset) throws Exception {
    Path file = Files.createTempFile(tmp, "table", ".txt");
    Files.write(file, text.getBytes(StandardCharsets.UTF_8));
    Object expected = tensorFlowTable(file, k, v, keyIndex, valueIndex, delimiter, vocabSize,
        offset);
    assertThat(expected).as("TensorFlow's table of %s", text).isInstanceOf(Map.class);
    TableTextFile.Entries e = TableTextFile.read(file, new TableTextFile.Format(keyIndex,
        valueIndex, delimiter.getBytes(StandardCharsets.UTF_8)[0], vocabSize, offset), k, v,
        "test");
    TableContents c = TableContents.inserted(k, v, e.keys(), e.values(), null, "file", "test");
    Map<Object, Object> read = new LinkedHashMap<>();
    for (int i = 0; i < c.keys().size(); i++) {
      read.put(c.keys().get(i), c.values().get(i));
    }
    assertThat(read).as("%s read from %s", v, text).isEqualTo(expected);
  }

  private void assertRefusedLikeTensorFlow(String text, DataType k, DataType v, long keyIndex,
      long valueIndex, long vocabSize, String message) throws Exception {
    Path file = Files.createTempFile(tmp, "table", ".txt");
    Files.write(file, text.getBytes(StandardCharsets.UTF_8));
    assertThat(tensorFlowTable(file, k, v, keyIndex, valueIndex, "\t", vocabSize, 0))
        .as("TensorFlow on %s", text).isInstanceOf(RuntimeException.class);
    assertThatThrownBy(() -> {
      TableTextFile.Entries e = TableTextFile.read(file, new TableTextFile.Format(keyIndex,
          valueIndex, (byte) '\t', vocabSize, 0), k, v, "test");
      TableContents.inserted(k, v, e.keys(), e.values(), null, "file", "test");
    }).isInstanceOf(ImportException.class).hasMessageContaining(message);
  }

  private static NodeDef.Builder node(String name, String op, String... inputs) {
    NodeDef.Builder b = NodeDef.newBuilder().setName(name).setOp(op);
    for (String i : inputs) {
      b.addInput(i);
    }
    return b;
  }

  private static AttrValue type(DataType t) {
    return AttrValue.newBuilder().setType(t).build();
  }

  private static TensorProto scalar(DataType t, Object v) {
    List<Object> one = new ArrayList<>();
    one.add(v);
    return TableContents.vector(t, one).toBuilder()
        .setTensorShape(TensorShapeProto.getDefaultInstance()).build();
  }

  private static NodeDef constant(String name, TensorProto value) {
    return NodeDef.newBuilder().setName(name).setOp("Const")
        .putAttr("dtype", type(value.getDtype()))
        .putAttr("value", AttrValue.newBuilder().setTensor(value).build()).build();
  }
}
