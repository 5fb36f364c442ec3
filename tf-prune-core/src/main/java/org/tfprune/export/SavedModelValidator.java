package org.tfprune.export;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;

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

  /** The fix named for a damaged file. */
  static final String REEXPORT = "copy or export the SavedModel again";

  private final SavedModelParser parser;
  private final GraphChecker graphs;
  private final VariablesChecker variables;
  private final FunctionChecker functions;

  private SavedModelValidator(BiFunction<String, Throwable, ? extends RuntimeException> error) {
    this.parser = new SavedModelParser(error);
    this.graphs = new GraphChecker(error);
    this.variables = new VariablesChecker(error);
    this.functions = new FunctionChecker(graphs, error);
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

  /** Parses {@code dir/saved_model.pb}; refuses a missing, unreadable or unparsable file. */
  public SavedModel parse(Path dir) {
    return parser.parse(dir);
  }

  /** The meta graph tagged exactly {@code tags}; refuses when there is none. */
  public MetaGraphDef metaGraph(SavedModel sm, Path dir, Set<String> tags) {
    return parser.metaGraph(sm, dir, tags);
  }

  /**
   * Checks a meta graph: its graph ({@link #checkGraph}), its signatures' tensors and its saver's
   * nodes exist.
   */
  public void checkMetaGraph(MetaGraphDef meta, Path pb) {
    graphs.checkMetaGraph(meta, pb);
  }

  /**
   * Checks a graph node by node against the ops registered in this TensorFlow; returns the nodes
   * by name.
   *
   * @param file the file the graph was read from, named in the messages
   */
  public Map<String, NodeDef> checkGraph(GraphDef gd, String file) {
    return graphs.checkGraph(gd, file);
  }

  /**
   * Checks {@code dir/variables/}: for a graph with variables, the index is an intact bundle
   * index, its data files exist, every entry fits its data file and matches its checksum, and
   * every {@code VariableV2} of {@code gd} has an entry of its dtype and shape (resource variables
   * are saved under other names). Nothing is checked for a graph without variables.
   */
  public void checkVariables(Path dir, GraphDef gd) {
    variables.checkVariables(dir, gd);
  }

  /**
   * Checks the function library of {@code gd}: every call names a function it holds, and every
   * function body passes {@link #checkGraph} (arguments as placeholders).
   */
  public void checkFunctions(GraphDef gd, String file) {
    functions.check(gd, file);
  }

  /**
   * The names of the tensors in {@code dir/variables/variables.index}; call after {@link
   * #checkVariables}, which refuses a damaged index. Empty when there is no index.
   */
  public Set<String> variableNames(Path dir) {
    return variables.names(dir);
  }

  /** {@code a * b}, or {@code Long.MAX_VALUE} when the product overflows. */
  static long multiply(long a, long b) {
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

  /** The node of a tensor or input name: {@code ^a}, {@code a}, {@code a:1} all name {@code a}. */
  static String nodeOf(String tensor) {
    String s = tensor.startsWith("^") ? tensor.substring(1) : tensor;
    int colon = s.lastIndexOf(':');
    return colon < 0 ? s : s.substring(0, colon);
  }
}
