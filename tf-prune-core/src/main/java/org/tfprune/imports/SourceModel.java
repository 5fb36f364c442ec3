package org.tfprune.imports;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tfprune.export.SavedModelValidator;
import org.tfprune.export.ServingContract;
import org.tfprune.slice.HostTensor;

/**
 * A model to import, opened: a SavedModel directory (TF-Java / TF1 style, or Python TF2) or a
 * frozen GraphDef file, with its graph, its serving signature, and a TensorFlow session that
 * holds its weights and computes its outputs. Opening checks the files first and fails with an
 * {@link ImportException} that names the problem and the fix: a missing or corrupt {@code
 * saved_model.pb}, a tag or signature the model does not have, missing variable files. A
 * SavedModel written by Python TF2 (functions, resource variables) is read through its
 * flattened, frozen serving path.
 */
public final class SourceModel implements AutoCloseable {
  /** The file name of a SavedModel's graph. */
  public static final String SAVED_MODEL_PB = "saved_model.pb";

  /** Checks the files before TensorFlow's native code reads them. */
  private static final SavedModelValidator VALIDATOR =
      SavedModelValidator.reportingWith(ImportException::new);

  private final Path path;
  private final String name;
  private final GraphDef graphDef;
  private final SourceSignature signature;
  private ImmutableList<ServingContract.Signature> signatures;
  private TensorRef networkInput;
  private long[] inputShape;
  private ImmutableMap<String, Float> feeds = ImmutableMap.of();
  private final SavedModelBundle bundle;
  private final Graph graph;
  private final Session session;
  private final Map<String, HostTensor> values = new HashMap<>();

  private SourceModel(Path path, String name, GraphDef graphDef, SourceSignature signature,
      SavedModelBundle bundle, Graph graph, Session session) {
    this.path = path;
    this.name = name;
    this.graphDef = graphDef;
    this.signature = signature;
    this.bundle = bundle;
    this.graph = graph;
    this.session = session;
    this.networkInput = TensorRef.parse(signature.inputTensor());
    this.signatures = ImmutableList.of(new ServingContract.Signature(signature.key(),
        signature.methodName(), ImmutableMap.of(signature.inputKey(), signature.inputTensor()),
        signature.outputs()));
  }

  /**
   * Opens a SavedModel directory (or its {@code saved_model.pb}) or a frozen GraphDef file.
   *
   * @throws ImportException when the files are missing, damaged or of an unsupported kind
   */
  public static SourceModel open(Path path, ImportOptions options) {
    Path p = path.toAbsolutePath().normalize();
    if (!Files.exists(p)) {
      throw new ImportException(p + " does not exist: pass a SavedModel directory or a frozen "
          + "GraphDef (.pb) file");
    }
    if (Files.isRegularFile(p) && p.getFileName().toString().equals(SAVED_MODEL_PB)) {
      p = p.getParent();
    }
    return Files.isDirectory(p) ? openSavedModel(p, options) : openGraphDef(p);
  }

  private static SourceModel openSavedModel(Path dir, ImportOptions options) {
    Path pb = dir.resolve(SAVED_MODEL_PB);
    if (!Files.isRegularFile(pb)) {
      String hint = Files.exists(dir.resolve("saved_model.pbtxt"))
          ? " (it holds saved_model.pbtxt, the text format, which tf-prune does not read: "
              + "write the binary saved_model.pb)"
          : "";
      throw new ImportException(dir + " holds no " + SAVED_MODEL_PB + hint + ": pass a "
          + "SavedModel directory or a frozen GraphDef (.pb) file");
    }
    SavedModel sm = VALIDATOR.parse(dir);
    ImmutableSet<String> tags = options.tagSet();
    MetaGraphDef meta = null;
    List<String> available = new ArrayList<>();
    for (MetaGraphDef m : sm.getMetaGraphsList()) {
      available.add("'" + String.join(",", m.getMetaInfoDef().getTagsList()) + "'");
      if (ImmutableSet.copyOf(m.getMetaInfoDef().getTagsList()).equals(tags)) {
        meta = m;
      }
    }
    if (meta == null) {
      throw new ImportException(dir + " has no meta graph tagged '" + String.join(",", tags)
          + "'; its meta graph" + (available.size() == 1 ? " is" : "s are") + " tagged "
          + String.join(" and ", available) + ": pass --tag "
          + String.join(",", sm.getMetaGraphs(0).getMetaInfoDef().getTagsList()));
    }
    GraphDef gd = meta.getGraphDef();
    if (gd.getNodeCount() == 0) {
      throw new ImportException(pb + " holds an empty graph: the file is truncated or corrupt; "
          + "copy or export the SavedModel again");
    }
    VALIDATOR.checkMetaGraph(meta, pb);
    SourceSignature sig = SignatureReader.signature(meta, options.signatureKey(), dir);
    if (Tf2Structure.detect(gd, meta.hasObjectGraphDef()).isPresent()) {
      return openFlattened(dir, meta, sig, tags);
    }
    GraphIndex index = new GraphIndex(gd, pb.toString());
    SignatureReader.checkNodes(index, sig);
    VALIDATOR.checkVariables(dir, gd);
    SavedModelBundle bundle;
    try {
      bundle = SavedModelBundle.loader(dir.toString()).withTags(tags.toArray(String[]::new))
          .load();
    } catch (RuntimeException e) {
      throw new ImportException("TensorFlow could not load the SavedModel " + dir + ": "
          + e.getMessage() + ". The variables/ directory may be incomplete or damaged: copy the "
          + "whole SavedModel directory again or re-export the model", e);
    }
    try {
      SourceModel m = new SourceModel(dir, dir.getFileName().toString(), gd, sig, bundle, null,
          bundle.session());
      m.signatures = SourceSignatures.all(meta, sig);
      return m;
    } catch (RuntimeException e) {
      bundle.close();
      throw e;
    }
  }

  /**
   * A SavedModel whose serving path calls functions or reads resource variables: its serving
   * path is flattened and frozen ({@link Tf2SavedModelReader}) and read from a graph of its own;
   * the loaded original computes the outputs the import is checked against.
   */
  private static SourceModel openFlattened(Path dir, MetaGraphDef meta, SourceSignature sig,
      ImmutableSet<String> tags) {
    Tf2SavedModelReader.Frozen f = Tf2SavedModelReader.read(dir, meta, sig,
        tags.toArray(String[]::new), VALIDATOR);
    Graph g = new Graph();
    Session s = null;
    try {
      g.importGraphDef(f.graph());
      s = new Session(g);
      return new SourceModel(dir, dir.getFileName().toString(), f.graph(), sig, f.bundle(), g, s);
    } catch (RuntimeException e) {
      if (s != null) {
        s.close();
      }
      g.close();
      f.bundle().close();
      throw e instanceof ImportException ie ? ie : new ImportException("TensorFlow could not "
          + "load the flattened serving path of " + dir + ": " + e.getMessage() + ". This is a "
          + "bug in tf-prune's reader of TF2 SavedModels: please report it with the model's "
          + "saved_model.pb", e);
    }
  }

  private static SourceModel openGraphDef(Path file) {
    GraphDef gd;
    try {
      gd = GraphDef.parseFrom(Files.readAllBytes(file));
    } catch (InvalidProtocolBufferException e) {
      throw new ImportException(file + " cannot be parsed as a GraphDef (" + e.getMessage()
          + "): the file is truncated or corrupt, or not a frozen GraphDef", e);
    } catch (IOException e) {
      throw new ImportException("cannot read " + file + " (" + e + "): check that the file is "
          + "readable", e);
    }
    if (gd.getNodeCount() == 0) {
      throw new ImportException(file + " holds no graph nodes: it is not a frozen GraphDef (a "
          + "SavedModel is a directory holding saved_model.pb)");
    }
    Tf2Structure.detect(gd, false).ifPresent(t -> {
      throw new ImportException(t.message(file.toString()));
    });
    List<String> variables = gd.getNodeList().stream()
        .filter(n -> n.getOp().startsWith("Variable")).map(NodeDef::getName).limit(5).toList();
    if (!variables.isEmpty()) {
      throw new ImportException(file + " holds variables " + variables + " but a GraphDef file "
          + "has no checkpoint to restore them from: freeze the graph (variables replaced by "
          + "constants) or pass the SavedModel directory");
    }
    VALIDATOR.checkGraph(gd, file.toString());
    SourceSignature sig = SignatureReader.frozenSignature(new GraphIndex(gd, file.toString()),
        file);
    Graph g = new Graph();
    try {
      g.importGraphDef(gd);
    } catch (RuntimeException e) {
      g.close();
      throw new ImportException("TensorFlow could not load the GraphDef " + file + ": "
          + e.getMessage() + ". The file may be damaged or use ops this TensorFlow ("
          + org.tensorflow.TensorFlow.version() + ") does not know", e);
    }
    Session s = new Session(g);
    try {
      String n = file.getFileName().toString();
      return new SourceModel(file, n.endsWith(".pb") ? n.substring(0, n.length() - 3) : n, gd,
          sig, null, g, s);
    } catch (RuntimeException e) {
      s.close();
      g.close();
      throw e;
    }
  }

  /** The model's file or directory. */
  public Path path() {
    return path;
  }

  /** A short name for the model (its directory or file name). */
  public String name() {
    return name;
  }

  public GraphDef graphDef() {
    return graphDef;
  }

  public SourceSignature signature() {
    return signature;
  }

  /**
   * Every signature of the model (the chosen one first), keys to tensor names; a frozen
   * GraphDef has one.
   */
  public ImmutableList<ServingContract.Signature> signatures() {
    return signatures;
  }

  /**
   * The shape of the tensor the network reads ({@code -1} for the batch): the input
   * placeholder's, or, once the importer found a fixed prefix, the tensor after it.
   */
  public long[] inputShape() {
    if (inputShape == null) {
      inputShape = SignatureReader.placeholderShape(new GraphIndex(graphDef, path.toString()),
          networkInput, path);
    }
    return inputShape.clone();
  }

  /** Values fed to training-only placeholders whenever the original runs. */
  void useFeeds(ImmutableMap<String, Float> values) {
    feeds = values;
  }

  /** Feeds the training-only values ({@link #useFeeds}) to {@code r}; returns what to close. */
  List<Tensor> feedTrainingValues(Session.Runner r) {
    List<Tensor> t = new ArrayList<>();
    feeds.forEach((name, v) -> {
      TFloat32 s = TFloat32.scalarOf(v);
      t.add(s);
      r.feed(name, s);
    });
    return t;
  }

  /** The tensor the network reads: the input placeholder unless a fixed prefix precedes it. */
  TensorRef networkInput() {
    return networkInput;
  }

  /**
   * Sets the tensor the network reads (after a fixed prefix); its static shape becomes {@link
   * #inputShape}. Refuses a tensor that is not float32 or whose dimensions past the batch are
   * unknown.
   */
  void useNetworkInput(TensorRef t) {
    if (t.equals(networkInput) && inputShape != null) {
      return;
    }
    var out = session.graph().operationOrThrow(t.node()).output(t.index());
    Shape s = out.shape();
    if (out.dataType() != DataType.DT_FLOAT) {
      throw new ImportException("the network of " + path + " reads " + t + " of type "
          + out.dataType() + "; tf-prune prunes float32 networks");
    }
    long[] d = s.asArray();
    boolean known = d != null && (d.length == 2 || d.length == 4);
    for (int i = 1; known && i < d.length; i++) {
      known = d[i] > 0;
    }
    if (!known) {
      throw new ImportException("the network of " + path + " reads " + t + " of shape "
          + (d == null ? "of unknown rank" : java.util.Arrays.toString(d)) + "; tf-prune needs "
          + "[batch, features] or [batch, height, width, channels] with every dimension but the "
          + "batch known: give the input placeholder a full shape");
    }
    d = d.clone();
    d[0] = -1;
    networkInput = t;
    inputShape = d;
  }

  /** The session holding the model's weights (for running its signatures in a check). */
  Session session() {
    return session;
  }

  /** The static shape TensorFlow infers for a tensor of the loaded graph. */
  Shape staticShape(TensorRef t) {
    return session.graph().operationOrThrow(t.node()).output(t.index()).shape();
  }

  /** The float value of a weight node (a variable restored from the checkpoint, or a constant). */
  public HostTensor value(String node) {
    HostTensor v = values.get(node);
    if (v == null) {
      try (Result r = session.runner().fetch(node).run()) {
        Tensor t = r.get(0);
        if (!(t instanceof TFloat32 f)) {
          throw new ImportException("weight " + node + " of " + path + " has type "
              + t.dataType() + "; tf-prune handles float32 models");
        }
        v = HostTensor.of(f);
      }
      values.put(node, v);
    }
    return v;
  }

  /** The integer values of a constant node (e.g. a pooling window or reduction axes). */
  long[] ints(TensorRef t) {
    try (Result r = session.runner().fetch(t.node(), t.index()).run()) {
      Tensor v = r.get(0);
      long[] out = new long[(int) v.shape().size()];
      if (v instanceof TInt32 i) {
        int[] a = new int[out.length];
        i.copyTo(DataBuffers.of(a, false, false));
        for (int k = 0; k < out.length; k++) {
          out[k] = a[k];
        }
      } else if (v instanceof TInt64 l) {
        l.copyTo(DataBuffers.of(out, false, false));
      } else {
        throw new ImportException(t + " of " + path + " should hold integers but has type "
            + v.dataType());
      }
      return out;
    }
  }

  /**
   * Runs the original model on {@code count} examples held row-major in {@code x}; returns each
   * signature output by key.
   */
  public Map<String, HostTensor> outputs(float[] x, int count) {
    long[] shape = inputShape();
    shape[0] = count;
    long size = 1;
    for (long d : shape) {
      size *= d;
    }
    checkArgument(x.length == size, "%s values do not make %s examples of shape %s", x.length,
        count, java.util.Arrays.toString(inputShape()));
    List<String> tensors = new ArrayList<>(new LinkedHashSet<>(signature.outputs().values()));
    try (TFloat32 xt = TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(x, true, false))) {
      // A Python-TF2 model is checked against its original bundle when the network reads the
      // signature input; behind a kept prefix, the flattened graph is fed where the network reads.
      boolean atInput = networkInput.equals(TensorRef.parse(signature.inputTensor()));
      Session original = bundle != null && atInput ? bundle.session() : session;
      Session.Runner r = original.runner().feed(networkInput.toString(), xt);
      tensors.forEach(r::fetch);
      List<Tensor> fed = feedTrainingValues(r);
      try (Result res = r.run()) {
        Map<String, HostTensor> byTensor = new HashMap<>();
        for (int i = 0; i < tensors.size(); i++) {
          if (!(res.get(i) instanceof TFloat32 f)) {
            throw new ImportException("output " + tensors.get(i) + " of " + path + " is not "
                + "float32; tf-prune re-creates float outputs (logits or probabilities)");
          }
          byTensor.put(tensors.get(i), HostTensor.of(f));
        }
        Map<String, HostTensor> out = new LinkedHashMap<>();
        signature.outputs().forEach((k, t) -> out.put(k, byTensor.get(t)));
        return out;
      } finally {
        fed.forEach(Tensor::close);
      }
    }
  }

  @Override
  public void close() {
    if (graph != null) {
      session.close();
      graph.close();
    }
    if (bundle != null) {
      bundle.close();
    }
  }
}
