package org.tfprune.export;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tfprune.build.ForwardPass;
import org.tfprune.build.NetworkBuilder;
import org.tfprune.build.NetworkGraph;
import org.tfprune.op.GateMode;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;

/**
 * A gate-free network ready to serve: a graph built by the one {@link NetworkBuilder} from a spec
 * and its weights, with a serving signature: by default {@code serving_default} (input
 * {@code input}, outputs {@code logits} and {@code probabilities}), or the {@link
 * ServingSignature} of a model it replaces (the same signature key, input and output keys and
 * tensor names). It can predict in memory and be saved as a SavedModel; the graph carries no
 * device placement, so any CPU or GPU runtime places it.
 */
public final class InferenceModel implements AutoCloseable {
  public static final String SIGNATURE_KEY = "serving_default";
  public static final String LOGITS = "logits";
  public static final String PROBABILITIES = "probabilities";

  private final ArchitectureSpec spec;
  private final ServingSignature servingSignature;
  private final Graph graph;
  private final Session session;
  private final Signature signature;
  private final ImmutableList<Signature> signatures;
  private final Operand<TFloat32> input;
  private final Operand<TFloat32> logits;

  private InferenceModel(ArchitectureSpec spec, ParameterSet params, ServingSignature sig) {
    this.spec = spec.withoutGates();
    this.servingSignature = sig;
    if (sig.contract() != null) {
      Joined j = joined(this.spec, params, sig);
      this.graph = j.graph();
      this.session = j.session();
      this.input = j.input();
      this.logits = j.logits();
      this.signatures = j.signatures();
      this.signature = signatures.stream().filter(x -> x.key().equals(sig.key())).findFirst()
          .orElse(signatures.get(0));
      return;
    }
    this.graph = new Graph();
    Session s = null;
    try {
      Ops tf = Ops.create(graph);
      Map<String, Ops> scopes = new HashMap<>();
      Placeholder<TFloat32> in = named(tf, scopes, sig.inputNode()).placeholder(
          TFloat32.class, Placeholder.shape(NetworkBuilder.inputShape(this.spec)));
      // With another model's interface, the network's own nodes go under a scope that none of
      // the interface's names uses, so every interface name is free.
      Ops netOps = sig.equals(ServingSignature.DEFAULT) ? tf
          : tf.withSubScope(freeScope(sig, Set.of()));
      NetworkGraph net = NetworkBuilder.build(netOps, this.spec, false, 0, in);
      input = in;
      Map<String, HostTensor> weights = new LinkedHashMap<>();
      for (String name : net.parameterNames()) {
        weights.put(name, params.get(name));
      }
      ForwardPass pass = net.forward(GateMode.NONE, "serve");
      Map<String, Operand<TFloat32>> byNode = new HashMap<>();
      Signature.Builder sb = Signature.builder().key(sig.key()).methodName(sig.methodName())
          .input(sig.inputKey(), in);
      Operand<TFloat32> logitsOut = null;
      for (ServingSignature.Output o : sig.outputs()) {
        Operand<TFloat32> op = byNode.get(o.node());
        if (op == null) {
          Ops named = named(tf, scopes, o.node());
          op = o.kind() == ServingSignature.Kind.LOGITS ? named.identity(pass.logits())
              : named.nn.softmax(pass.logits());
          checkName(op, o.node());
          byNode.put(o.node(), op);
        }
        if (o.kind() == ServingSignature.Kind.LOGITS && logitsOut == null) {
          logitsOut = op;
        }
        sb.output(o.key(), op);
      }
      logits = logitsOut != null ? logitsOut : netOps.withName(LOGITS).identity(pass.logits());
      checkName(in, sig.inputNode());
      signature = sb.build();
      signatures = ImmutableList.of(signature);
      s = new Session(graph);
      net.initialize(s, new ParameterSet(weights));
      session = s;
    } catch (RuntimeException e) {
      if (s != null) {
        s.close(); // a Graph cannot close while a Session on it is open
      }
      graph.close();
      throw e;
    }
  }

  /** The serving graph of a model with a {@link ServingContract}, its session and handles. */
  private record Joined(Graph graph, Session session, Operand<TFloat32> input,
      Operand<TFloat32> logits, ImmutableList<Signature> signatures) {}

  /**
   * Builds the network under a free scope in a graph of its own, joins it with the contract's
   * fixed regions ({@link ContractGraph}) and loads the result with the weights assigned.
   */
  @SuppressWarnings("unchecked")
  private static Joined joined(ArchitectureSpec spec, ParameterSet params, ServingSignature sig) {
    ServingContract c = sig.contract();
    org.tensorflow.proto.GraphDef def;
    Map<String, HostTensor> byVariable = new LinkedHashMap<>();
    String inputNode;
    try (Graph g1 = new Graph()) {
      Ops tf = Ops.create(g1);
      Ops netOps = tf.withSubScope(freeScope(sig, ContractGraph.usedScopes(c)));
      Placeholder<TFloat32> in = netOps.withName("input").placeholder(TFloat32.class,
          Placeholder.shape(NetworkBuilder.inputShape(spec)));
      NetworkGraph n = NetworkBuilder.build(netOps, spec, false, 0, in);
      for (String name : n.parameterNames()) {
        byVariable.put(n.variable(name).op().name(), params.get(name));
      }
      ForwardPass pass = n.forward(GateMode.NONE, "serve");
      Operand<TFloat32> l = named(tf, new HashMap<>(), c.logitsNode()).identity(pass.logits());
      checkName(l, c.logitsNode());
      inputNode = in.op().name();
      def = ContractGraph.join(g1.toGraphDef(), inputNode, c);
    }
    Graph g = new Graph();
    Session s = null;
    try {
      try {
        g.importGraphDef(def);
      } catch (IllegalArgumentException e) {
        throw new ExportException("cannot join the pruned network with the parts of the original "
            + "model kept unchanged: " + e.getMessage());
      }
      s = new Session(g);
      ContractGraph.initialize(s, def, byVariable);
      Operand<TFloat32> input = (Operand<TFloat32>) (Operand<?>) g.operationOrThrow(inputNode)
          .output(0);
      Operand<TFloat32> logits = (Operand<TFloat32>) (Operand<?>) g.operationOrThrow(
          c.logitsNode()).output(0);
      return new Joined(g, s, input, logits, ContractGraph.signatures(g, c));
    } catch (RuntimeException e) {
      if (s != null) {
        s.close();
      }
      g.close();
      throw e;
    }
  }

  /** Builds the serving graph of {@code spec} (gates ignored) with {@code params}. */
  public static InferenceModel of(ArchitectureSpec spec, ParameterSet params) {
    return of(spec, params, ServingSignature.DEFAULT);
  }

  /** Builds the serving graph of {@code spec} with {@code params} and the interface {@code sig}. */
  public static InferenceModel of(ArchitectureSpec spec, ParameterSet params,
      ServingSignature sig) {
    return new InferenceModel(spec, params, sig);
  }

  /** An {@code Ops} whose next op is named exactly {@code node} ({@code a/b/c}). */
  private static Ops named(Ops root, Map<String, Ops> scopes, String node) {
    String[] parts = node.split("/");
    Ops scope = root;
    StringBuilder path = new StringBuilder();
    for (int i = 0; i < parts.length - 1; i++) {
      Ops parent = scope;
      String part = parts[i];
      path.append(part).append('/');
      scope = scopes.computeIfAbsent(path.toString(), k -> parent.withSubScope(part));
    }
    return scope.withName(parts[parts.length - 1]);
  }

  private static void checkName(Operand<?> op, String expected) {
    String actual = op.op().name();
    if (!actual.equals(expected)) {
      throw new ExportException("cannot give the serving graph a node named '" + expected
          + "' as the signature requires (TensorFlow named it '" + actual + "'): two names of "
          + "the signature clash; rename the source model's inputs or outputs");
    }
  }

  /** A top-level scope name that no name of {@code sig} (nor {@code more}) starts with. */
  private static String freeScope(ServingSignature sig, Set<String> more) {
    Set<String> used = new HashSet<>(more);
    used.add(sig.inputNode().split("/")[0]);
    sig.outputs().forEach(o -> used.add(o.node().split("/")[0]));
    String scope = "pruned";
    for (int i = 1; used.contains(scope); i++) {
      scope = "pruned_" + i;
    }
    return scope;
  }

  /** The serving interface this model was built with. */
  public ServingSignature servingSignature() {
    return servingSignature;
  }

  public ArchitectureSpec spec() {
    return spec;
  }

  public Session session() {
    return session;
  }

  /** The serving graph as a GraphDef (what {@link #save} writes, less the saver's nodes). */
  public org.tensorflow.proto.GraphDef graphDef() {
    return graph.toGraphDef();
  }

  /** The input placeholder. */
  public Operand<TFloat32> input() {
    return input;
  }

  /** The logits output. */
  public Operand<TFloat32> logits() {
    return logits;
  }

  public Signature signature() {
    return signature;
  }

  /** Every signature the model serves (the one of {@link #signature} and the contract's). */
  public ImmutableList<Signature> signatures() {
    return signatures;
  }

  /** Logits for {@code batch} examples held row-major in {@code x}. */
  public HostTensor predict(float[] x, int batch) {
    long[] shape = new long[spec.input().shape().size() + 1];
    shape[0] = batch;
    for (int i = 1; i < shape.length; i++) {
      shape[i] = spec.input().shape().get(i - 1);
    }
    checkArgument(x.length == batch * spec.input().size(),
        "%s values do not make %s examples of shape %s", x.length, batch, spec.input().shape());
    try (TFloat32 xt = TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(x, true, false));
        Result r = session.runner().feed(input, xt).fetch(logits).run()) {
      return HostTensor.of((TFloat32) r.get(0));
    }
  }

  /**
   * Writes the SavedModel (and {@code extraFiles}, e.g. a report) to {@code target}. Everything
   * is written into a temporary sibling directory first and moved into place when complete; an
   * existing target is replaced only if {@code overwrite}.
   */
  public void save(Path target, boolean overwrite, Map<String, byte[]> extraFiles) {
    Path abs = target.toAbsolutePath().normalize();
    checkTarget(abs, overwrite);
    Path parent = abs.getParent();
    try {
      Files.createDirectories(parent);
    } catch (IOException e) {
      throw new ExportException("cannot create the parent directory " + parent + " of the output "
          + "(" + e + "): choose a writable output directory", e);
    }
    Path tmp = parent.resolve("." + abs.getFileName() + ".tmp-" + UUID.randomUUID());
    try {
      SavedModelBundle.exporter(tmp.toString()).withSession(session)
          .withSignatures(signatures.toArray(Signature[]::new)).export();
      for (Map.Entry<String, byte[]> e : extraFiles.entrySet()) {
        Files.write(tmp.resolve(e.getKey()), e.getValue());
      }
      if (Files.exists(abs)) {
        Path old = parent.resolve("." + abs.getFileName() + ".old-" + UUID.randomUUID());
        Files.move(abs, old, StandardCopyOption.ATOMIC_MOVE);
        try {
          Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
          Files.move(old, abs, StandardCopyOption.ATOMIC_MOVE); // put the previous model back
          throw e;
        }
        MoreFiles.deleteRecursively(old, RecursiveDeleteOption.ALLOW_INSECURE);
      } else {
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
      }
    } catch (IOException | RuntimeException e) {
      deleteQuietly(tmp);
      throw new ExportException("could not write the SavedModel to " + abs + ": " + e
          + ". Check that the directory is writable and the disk has space; nothing was "
          + "written", e);
    }
  }

  /**
   * Fails early, before any work, when {@code target} cannot be written: it exists and
   * {@code overwrite} is off, or its parent cannot be created or written. Creates nothing.
   */
  public static void checkTarget(Path target, boolean overwrite) {
    Path abs = target.toAbsolutePath().normalize();
    if (Files.exists(abs) && !overwrite) {
      throw new ExportException("output directory " + abs + " already exists: choose another "
          + "output directory or pass --overwrite to replace it");
    }
    if (Files.exists(abs) && !Files.isDirectory(abs)) {
      throw new ExportException("output path " + abs + " is a file, not a directory: choose "
          + "another output directory");
    }
    Path existing = abs.getParent();
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null || !Files.isDirectory(existing)) {
      throw new ExportException("cannot create the parent directory " + abs.getParent()
          + " of the output: " + existing + " is not a directory; choose a writable output "
          + "directory");
    }
    if (!Files.isWritable(existing)) {
      throw new ExportException("the directory " + existing + " is not writable: choose a "
          + "writable output directory or fix its permissions");
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      if (Files.exists(p)) {
        MoreFiles.deleteRecursively(p, RecursiveDeleteOption.ALLOW_INSECURE);
      }
    } catch (IOException | RuntimeException ignored) {
      // best effort: the temporary directory is hidden and named as such
    }
  }

  @Override
  public void close() {
    session.close();
    graph.close();
  }
}
