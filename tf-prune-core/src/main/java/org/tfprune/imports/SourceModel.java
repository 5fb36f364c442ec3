package org.tfprune.imports;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tfprune.export.ServingContract;
import org.tfprune.slice.HostTensor;

/**
 * A model to import, opened: a SavedModel directory (TF-Java / TF1 style, or Python TF2) or a
 * frozen GraphDef file, with its graph, its serving signature, and a TensorFlow session that
 * holds its weights and computes its outputs. Opening checks the files first and fails with an
 * {@link ImportException} that names the problem and the fix: a missing or corrupt {@code
 * saved_model.pb}, a tag or signature the model does not have, missing variable files
 * ({@link SourceModels} opens it). A SavedModel written by Python TF2 (functions, resource
 * variables) is read through its flattened, frozen serving paths, its signatures' copies of the
 * network merged into one ({@link SignatureMerger}).
 */
public final class SourceModel implements AutoCloseable {
  /** The file name of a SavedModel's graph. */
  public static final String SAVED_MODEL_PB = "saved_model.pb";

  private final Path path;
  private final String name;
  private final GraphDef graphDef;
  private final SourceSignature signature;
  private final ImmutableList<ServingContract.Signature> signatures;
  private final ImmutableMap<String, ServingContract.Signature> originals;
  private final ImmutableList<String> notes;
  private TensorRef networkInput;
  private long[] inputShape;
  private ImmutableMap<String, Float> feeds = ImmutableMap.of();
  private ImmutableMap<String, Path> assets = ImmutableMap.of();
  private final SavedModelBundle bundle;
  private final Graph graph;
  private final Session session;
  private final Map<String, HostTensor> values = new HashMap<>();

  /**
   * An opened model ({@link SourceModels} opens them).
   *
   * @param signatures every signature as the import reads it, {@code signature} first; empty for
   *     {@code signature} alone
   * @param originals signatures by key with the tensor names of the loaded {@code bundle}, when
   *     they differ from the graph read ({@code graphDef}, a flattened TF2 serving path)
   * @param notes what opening changed or left out, for the import's notes
   * @param graph the graph of {@code session} when this object owns it, else null
   */
  SourceModel(Path path, String name, GraphDef graphDef, SourceSignature signature,
      ImmutableList<ServingContract.Signature> signatures,
      ImmutableMap<String, ServingContract.Signature> originals, ImmutableList<String> notes,
      SavedModelBundle bundle, Graph graph, Session session) {
    this.path = path;
    this.name = name;
    this.graphDef = graphDef;
    this.signature = signature;
    this.originals = originals;
    this.notes = notes;
    this.bundle = bundle;
    this.graph = graph;
    this.session = session;
    this.networkInput = TensorRef.parse(signature.inputTensor());
    this.signatures = signatures.isEmpty() ? ImmutableList.of(new ServingContract.Signature(
        signature.key(), signature.methodName(), signature.inputs(), signature.outputs()))
        : signatures;
  }

  /**
   * Opens a SavedModel directory (or its {@code saved_model.pb}) or a frozen GraphDef file
   * ({@link SourceModels#open}).
   *
   * @throws ImportException when the files are missing, damaged or of an unsupported kind
   */
  public static SourceModel open(Path path, ImportOptions options) {
    return SourceModels.open(path, options);
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

  /** What opening the model changed or left out (e.g. a signature not exported), for notes. */
  public ImmutableList<String> notes() {
    return notes;
  }

  /**
   * The signature {@code key} with the tensor names of the loaded original, when the graph read
   * is a flattened TF2 serving path whose tensor names differ, and the examples are fed at the
   * signature input; else empty.
   */
  Optional<ServingContract.Signature> original(String key) {
    boolean atInput = networkInput.equals(TensorRef.parse(signature.inputTensor()));
    return atInput && bundle != null ? Optional.ofNullable(originals.get(key)) : Optional.empty();
  }

  /** The session of the loaded original SavedModel ({@link #original}). */
  Session originalSession() {
    checkArgument(bundle != null, "%s has no loaded original", path);
    return bundle.session();
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

  /**
   * Values fed to training-only placeholders whenever the original runs (a boolean flag as 0 or
   * 1).
   */
  void useFeeds(ImmutableMap<String, Float> values) {
    feeds = values;
  }

  /** Sets the SavedModel's asset files by the tensor its loader feeds each path to. */
  void useAssets(ImmutableMap<String, Path> files) {
    assets = checkNotNull(files, "asset files of %s", path);
  }

  /**
   * The SavedModel's asset files ({@code <dir>/assets/<name>}) by the tensor ({@code node:index})
   * its loader feeds each path to ({@link TableAssets}); empty for a frozen GraphDef.
   */
  ImmutableMap<String, Path> assets() {
    return assets;
  }

  /**
   * The session of the SavedModel as TensorFlow loaded it, its init op run (tables filled);
   * empty for a frozen GraphDef.
   */
  Optional<Session> loadedSession() {
    return bundle == null ? Optional.empty() : Optional.of(bundle.session());
  }

  /** Feeds the training-only values ({@link #useFeeds}) to {@code r}; returns what to close. */
  List<Tensor> feedTrainingValues(Session.Runner r) {
    List<Tensor> t = new ArrayList<>();
    feeds.forEach((name, v) -> {
      boolean flag = graphDef.getNodeList().stream().anyMatch(n -> n.getName().equals(name)
          && TrainingFeeds.isBool(n));
      Tensor s = flag ? org.tensorflow.types.TBool.scalarOf(v != 0f) : TFloat32.scalarOf(v);
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
