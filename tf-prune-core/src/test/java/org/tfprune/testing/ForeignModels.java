package org.tfprune.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.nn.FusedBatchNorm;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.types.TFloat32;

/**
 * Models built the way another team would build them: plain TF-Java {@code Ops} with their own
 * node names ({@code images}, {@code dense_1/MatMul}, {@code fc_out/BiasAdd}, {@code scores}),
 * not tf-prune's spec or builder; trained briefly with plain gradient descent
 * ({@code addGradients} and {@code assignSub}) on real MNIST and saved with
 * {@code SavedModelBundle.exporter}. The saved graph also holds the team's training ops, as a real
 * one would. {@link #mlp()} and {@link #residualNet()} are built once per JVM into a temporary
 * directory.
 */
public final class ForeignModels {
  /** The MLP's signature: key, input key and node, output keys and nodes. */
  public static final String MLP_SIGNATURE = "classify";
  public static final String MLP_INPUT_KEY = "pixels";
  public static final String MLP_INPUT = "images";
  public static final String MLP_SCORES = "scores";
  public static final String MLP_LOGITS_KEY = "logits";
  public static final String MLP_LOGITS = "fc_out/BiasAdd";

  /** The residual net's signature. */
  public static final String NET_SIGNATURE = "serving_default";
  public static final String NET_INPUT_KEY = "image";
  public static final String NET_INPUT = "input_images";
  public static final String NET_PROBS = "probs";

  private static final Map<String, Path> BUILT = new HashMap<>();

  private ForeignModels() {}

  /** How a fixture is trained: the first {@code examples} MNIST training images. */
  public record Training(int examples, int epochs, int batchSize, float learningRate, long seed) {
    /** A quick training for tests: a few hundred steps on a slice of MNIST. */
    public static Training quick() {
      return new Training(6000, 5, 100, 0.1f, 7);
    }
  }

  /** The 784-300-100-10 ReLU MLP with softmax, trained quickly; built once per JVM. */
  public static synchronized Path mlp() {
    return BUILT.computeIfAbsent("mlp", k -> {
      Path dir = tempDir().resolve("mlp");
      writeMlp(dir, Training.quick());
      return dir;
    });
  }

  /**
   * A small residual conv net (conv+BN+ReLU stem, max pooling, a basic block with identity
   * shortcut, a block with a 1x1-conv+BN projection shortcut, global average pooling, dense,
   * softmax), trained quickly; built once per JVM.
   */
  public static synchronized Path residualNet() {
    return BUILT.computeIfAbsent("resnet", k -> {
      Path dir = tempDir().resolve("resnet");
      writeResidualNet(dir, new Training(3000, 3, 64, 0.5f, 11), 1e-3f);
      return dir;
    });
  }

  private static Path tempDir() {
    try {
      Path d = Files.createTempDirectory("foreign-models");
      d.toFile().deleteOnExit();
      return d;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Builds, trains and saves the MLP to {@code dir}; returns its test accuracy on 10000 images. */
  public static double writeMlp(Path dir, Training t) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> images = tf.withName(MLP_INPUT).placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 784)));
      Params p = new Params(tf, t.seed());
      Ops d1 = tf.withSubScope("dense_1");
      Variable<TFloat32> k1 = p.he(d1, "kernel", 784, 784, 300);
      Variable<TFloat32> b1 = p.zeros(d1, "bias", 300);
      // the first layer adds its bias with Add, the others with BiasAdd
      Operand<TFloat32> h1 = d1.nn.relu(d1.math.add(d1.linalg.matMul(images, k1), b1));
      Ops d2 = tf.withSubScope("dense_2");
      Variable<TFloat32> k2 = p.he(d2, "kernel", 300, 300, 100);
      Variable<TFloat32> b2 = p.zeros(d2, "bias", 100);
      Operand<TFloat32> h2 = d2.nn.relu(d2.nn.biasAdd(d2.linalg.matMul(h1, k2), b2));
      Ops out = tf.withSubScope("fc_out");
      Variable<TFloat32> k3 = p.he(out, "kernel", 100, 100, 10);
      Variable<TFloat32> b3 = p.zeros(out, "bias", 10);
      Operand<TFloat32> logits = out.nn.biasAdd(out.linalg.matMul(h2, k3), b3);
      Operand<TFloat32> scores = tf.withName(MLP_SCORES).nn.softmax(logits);
      p.initialize(s);
      Trainer trainer = new Trainer(tf, s, images, logits, p.variables(), List.of(), t);
      double accuracy = trainer.run(784);
      Signature sig = Signature.builder().key(MLP_SIGNATURE)
          .methodName("tensorflow/serving/predict").input(MLP_INPUT_KEY, images)
          .output(MLP_SCORES, scores).output(MLP_LOGITS_KEY, logits).build();
      export(dir, s, sig);
      return accuracy;
    }
  }

  /**
   * Builds, trains and saves the residual net to {@code dir}, with batch-norm epsilon
   * {@code epsilon}; returns its test accuracy on 10000 images.
   */
  public static double writeResidualNet(Path dir, Training t, float epsilon) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> images = tf.withName(NET_INPUT).placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 28, 28, 1)));
      Params p = new Params(tf, t.seed());
      ConvBn stem = new ConvBn(p, tf.withSubScope("stem"), 3, 1, 8, 1, epsilon);
      Ops pool = tf.withSubScope("pool");
      Ops b1 = tf.withSubScope("res1");
      ConvBn b1a = new ConvBn(p, b1.withSubScope("conv_a"), 3, 8, 8, 1, epsilon);
      ConvBn b1b = new ConvBn(p, b1.withSubScope("conv_b"), 3, 8, 8, 1, epsilon);
      Ops b2 = tf.withSubScope("res2");
      ConvBn b2a = new ConvBn(p, b2.withSubScope("conv_a"), 3, 8, 16, 2, epsilon);
      ConvBn b2b = new ConvBn(p, b2.withSubScope("conv_b"), 3, 16, 16, 1, epsilon);
      ConvBn b2s = new ConvBn(p, b2.withSubScope("shortcut"), 1, 8, 16, 2, epsilon);
      Ops head = tf.withSubScope("head");
      Variable<TFloat32> hk = p.he(head, "kernel", 16, 16, 10);
      Variable<TFloat32> hb = p.zeros(head, "bias", 10);
      List<Op> updates = new ArrayList<>();
      // The serving path (moving statistics) is built first so its ops carry the plain names.
      Operand<TFloat32> servingLogits = null;
      Operand<TFloat32> trainingLogits = null;
      for (boolean training : new boolean[] {false, true}) {
        List<Op> u = training ? updates : new ArrayList<>();
        Operand<TFloat32> x = stem.apply(images, training, true, u);
        Ops ps = training ? pool.withSubScope("train") : pool;
        x = ps.nn.maxPool(x, ps.constant(new int[] {1, 2, 2, 1}),
            ps.constant(new int[] {1, 2, 2, 1}), "VALID");
        Ops s1 = training ? b1.withSubScope("train") : b1;
        Operand<TFloat32> f = b1b.apply(b1a.apply(x, training, true, u), training, false, u);
        x = s1.nn.relu(s1.math.add(x, f));
        Ops s2 = training ? b2.withSubScope("train") : b2;
        f = b2b.apply(b2a.apply(x, training, true, u), training, false, u);
        x = s2.nn.relu(s2.math.add(b2s.apply(x, training, false, u), f));
        Ops hs = training ? head.withSubScope("train") : head;
        x = training ? hs.math.mean(x, hs.constant(new int[] {1, 2}))
            : tf.withName("gap").math.mean(x, tf.constant(new int[] {1, 2}));
        Operand<TFloat32> logits = hs.nn.biasAdd(hs.linalg.matMul(x, hk), hb);
        if (training) {
          trainingLogits = logits;
        } else {
          servingLogits = logits;
        }
      }
      Operand<TFloat32> probs = tf.withName(NET_PROBS).nn.softmax(servingLogits);
      p.initialize(s);
      Trainer trainer = new Trainer(tf, s, images, trainingLogits, p.trainable(), updates, t);
      trainer.evalLogits = servingLogits;
      double accuracy = trainer.run(784);
      Signature sig = Signature.builder().key(NET_SIGNATURE)
          .methodName("tensorflow/serving/predict").input(NET_INPUT_KEY, images)
          .output(NET_PROBS, probs).build();
      export(dir, s, sig);
      return accuracy;
    }
  }

  /**
   * An untrained LeNet-like conv net: 5x5 conv + BiasAdd + ReLU, 2x2 average pooling, 3x3 conv +
   * Add bias + ReLU, 2x2 max pooling (MaxPool with attributes), a Reshape flatten, a dense ReLU
   * layer and a logits layer whose weight is stored transposed ({@code transpose_b}); signature
   * {@code predict} with input {@code x} and output {@code y} (the softmax). Weights are random:
   * enough to compare the import with the original.
   */
  public static void writeLeNetLike(Path dir) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 28, 28, 1)));
      Params p = new Params(tf, 5);
      Ops c1 = tf.withSubScope("conv1");
      Operand<TFloat32> h = c1.nn.relu(c1.nn.biasAdd(c1.nn.conv2d(x, p.he(c1, "w", 25, 5, 5, 1, 6),
          List.of(1L, 1L, 1L, 1L), "VALID"), p.filled(c1, "b", 6, 0.1f, true)));
      h = tf.withSubScope("pool1").nn.avgPool(h, List.of(1L, 2L, 2L, 1L),
          List.of(1L, 2L, 2L, 1L), "VALID");
      Ops c2 = tf.withSubScope("conv2");
      h = c2.nn.relu(c2.math.add(c2.nn.conv2d(h, p.he(c2, "w", 54, 3, 3, 6, 12),
          List.of(1L, 1L, 1L, 1L), "SAME"), p.filled(c2, "b", 12, 0.05f, true)));
      Ops pool2 = tf.withSubScope("pool2");
      h = pool2.nn.maxPool(h, pool2.constant(new int[] {1, 2, 2, 1}),
          pool2.constant(new int[] {1, 2, 2, 1}), "VALID");
      Ops flat = tf.withSubScope("flatten");
      h = flat.reshape(h, flat.constant(new int[] {-1, 6 * 6 * 12}));
      Ops fc = tf.withSubScope("fc");
      h = fc.nn.relu(fc.nn.biasAdd(fc.linalg.matMul(h, p.he(fc, "w", 432, 432, 32)),
          p.filled(fc, "b", 32, 0.01f, true)));
      Ops out = tf.withSubScope("logits_layer");
      Operand<TFloat32> logits = out.nn.biasAdd(out.linalg.matMul(h, p.he(out, "w_t", 32, 10,
          32), org.tensorflow.op.linalg.MatMul.transposeB(true)), p.zeros(out, "b", 10));
      Operand<TFloat32> y = tf.withName("y").nn.softmax(logits);
      p.initialize(s);
      export(dir, s, Signature.builder().key("predict").input("x", x).output("y", y).build());
    }
  }

  /**
   * An untrained MLP whose hidden layers use Selu (node {@code hidden_1/Selu}), which tf-prune
   * keeps as a fixed region, and Round ({@code hidden_2/Round}), which has no gradient in
   * TensorFlow, so the layers before it cannot be trained: the model is refused.
   */
  public static void writeUnsupportedMlp(Path dir) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> images = tf.withName("x").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 784)));
      Params p = new Params(tf, 3);
      Ops h1 = tf.withSubScope("hidden_1");
      Operand<TFloat32> a = h1.nn.selu(h1.nn.biasAdd(h1.linalg.matMul(images,
          p.he(h1, "w", 784, 784, 32)), p.zeros(h1, "b", 32)));
      Ops h2 = tf.withSubScope("hidden_2");
      Operand<TFloat32> b = h2.math.round(h2.nn.biasAdd(h2.linalg.matMul(a,
          p.he(h2, "w", 32, 32, 16)), p.zeros(h2, "b", 16)));
      Ops o = tf.withSubScope("out");
      Operand<TFloat32> logits = o.nn.biasAdd(o.linalg.matMul(b, p.he(o, "w", 16, 16, 10)),
          p.zeros(o, "b", 10));
      Operand<TFloat32> probs = tf.withName("probs").nn.softmax(logits);
      p.initialize(s);
      export(dir, s, Signature.builder().key("serving_default").input("x", images)
          .output("probs", probs).build());
    }
  }

  /**
   * A softmax regression on 100 of the 784 input features, selected as a tf-prune export of a
   * network whose input was pruned selects them: {@code GatherV2} of the transposed input (node
   * {@code serve/Gather}), then a MatMul with {@code transposeA}.
   */
  public static void writeInputGatherModel(Path dir) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> images = tf.withName("x").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 784)));
      Params p = new Params(tf, 5);
      Ops serve = tf.withSubScope("serve");
      int[] kept = new int[100];
      for (int i = 0; i < kept.length; i++) {
        kept[i] = 7 * i;
      }
      Operand<TFloat32> rows = serve.withName("Gather").gather(serve.withName("Transpose")
          .linalg.transpose(images, serve.constant(new int[] {1, 0})), serve.constant(kept),
          serve.constant(0));
      Operand<TFloat32> logits = serve.nn.biasAdd(serve.linalg.matMul(rows,
          p.he(serve, "w", 100, 100, 10), org.tensorflow.op.linalg.MatMul.transposeA(true)),
          p.zeros(serve, "b", 10));
      Operand<TFloat32> probs = tf.withName("probs").nn.softmax(logits);
      p.initialize(s);
      export(dir, s, Signature.builder().key("serving_default").input("x", images)
          .output("probs", probs).build());
    }
  }

  /**
   * A SavedModel shaped like one Python TensorFlow 2 writes ({@code tf.saved_model.save}),
   * written by hand since Python is not available: the signature's output comes from a {@code
   * StatefulPartitionedCall} whose function in the graph's library holds the real ops, the
   * variables are resource variables ({@code VarHandleOp}, {@code ReadVariableOp}), and the meta
   * graph carries an object graph.
   */
  public static void writePythonTf2Like(Path dir) {
    org.tensorflow.proto.DataType f32 = org.tensorflow.proto.DataType.DT_FLOAT;
    AttrValue dtype = AttrValue.newBuilder().setType(f32).build();
    String fn = "__inference_signature_wrapper_1234";
    NodeDef x = NodeDef.newBuilder().setName("serving_default_x").setOp("Placeholder")
        .putAttr("dtype", dtype).putAttr("shape", AttrValue.newBuilder().setShape(
            shape(-1, 784)).build()).build();
    NodeDef kernel = NodeDef.newBuilder().setName("dense/kernel").setOp("VarHandleOp")
        .putAttr("dtype", dtype).putAttr("shape", AttrValue.newBuilder().setShape(
            shape(784, 10)).build()).putAttr("shared_name", AttrValue.newBuilder().setS(
            com.google.protobuf.ByteString.copyFromUtf8("dense/kernel")).build()).build();
    NodeDef call = NodeDef.newBuilder().setName("StatefulPartitionedCall")
        .setOp("StatefulPartitionedCall").addInput("serving_default_x").addInput("dense/kernel")
        .putAttr("f", AttrValue.newBuilder().setFunc(org.tensorflow.proto.NameAttrList
            .newBuilder().setName(fn)).build()).build();
    org.tensorflow.proto.FunctionDef function = org.tensorflow.proto.FunctionDef.newBuilder()
        .setSignature(org.tensorflow.proto.OpDef.newBuilder().setName(fn)
            .addInputArg(org.tensorflow.proto.OpDef.ArgDef.newBuilder().setName("x")
                .setType(f32))
            .addInputArg(org.tensorflow.proto.OpDef.ArgDef.newBuilder().setName("resource")
                .setType(org.tensorflow.proto.DataType.DT_RESOURCE))
            .addOutputArg(org.tensorflow.proto.OpDef.ArgDef.newBuilder().setName("output_0")
                .setType(f32)))
        .addNodeDef(NodeDef.newBuilder().setName("MatMul/ReadVariableOp")
            .setOp("ReadVariableOp").addInput("resource").putAttr("dtype", dtype))
        .addNodeDef(NodeDef.newBuilder().setName("MatMul").setOp("MatMul").addInput("x")
            .addInput("MatMul/ReadVariableOp:value:0").putAttr("T", dtype))
        .addNodeDef(NodeDef.newBuilder().setName("Softmax").setOp("Softmax")
            .addInput("MatMul:product:0").putAttr("T", dtype))
        .putRet("output_0", "Softmax:softmax:0").build();
    GraphDef graph = GraphDef.newBuilder().addNode(x).addNode(kernel).addNode(call)
        .setLibrary(org.tensorflow.proto.FunctionDefLibrary.newBuilder().addFunction(function))
        .build();
    org.tensorflow.proto.TensorInfo in = org.tensorflow.proto.TensorInfo.newBuilder()
        .setName("serving_default_x:0").setDtype(f32).setTensorShape(shape(-1, 784)).build();
    org.tensorflow.proto.TensorInfo out = org.tensorflow.proto.TensorInfo.newBuilder()
        .setName("StatefulPartitionedCall:0").setDtype(f32).setTensorShape(shape(-1, 10))
        .build();
    org.tensorflow.proto.MetaGraphDef meta = org.tensorflow.proto.MetaGraphDef.newBuilder()
        .setMetaInfoDef(org.tensorflow.proto.MetaGraphDef.MetaInfoDef.newBuilder()
            .addTags("serve").setTensorflowVersion("2.15.0"))
        .setGraphDef(graph)
        .putSignatureDef("serving_default", org.tensorflow.proto.SignatureDef.newBuilder()
            .putInputs("x", in).putOutputs("output_0", out)
            .setMethodName("tensorflow/serving/predict").build())
        .setObjectGraphDef(org.tensorflow.proto.SavedObjectGraphOuterClass.SavedObjectGraph
            .newBuilder().addNodes(org.tensorflow.proto.SavedObjectGraphOuterClass.SavedObject
                .newBuilder()))
        .build();
    try {
      Files.createDirectories(dir.resolve("variables"));
      Files.write(dir.resolve("saved_model.pb"), SavedModel.newBuilder()
          .setSavedModelSchemaVersion(1).addMetaGraphs(meta).build().toByteArray());
      Files.write(dir.resolve("variables/variables.index"), new byte[0]);
      Files.write(dir.resolve("variables/variables.data-00000-of-00001"), new byte[0]);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static org.tensorflow.proto.TensorShapeProto shape(long... dims) {
    org.tensorflow.proto.TensorShapeProto.Builder b =
        org.tensorflow.proto.TensorShapeProto.newBuilder();
    for (long d : dims) {
      b.addDim(org.tensorflow.proto.TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    return b.build();
  }

  /** Copies a SavedModel directory (to damage the copy). */
  public static Path copy(Path savedModel, Path target) {
    try (java.util.stream.Stream<Path> files = Files.walk(savedModel)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path t = target.resolve(savedModel.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(t);
        } else {
          Files.copy(f, t);
        }
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void export(Path dir, Session s, Signature sig) {
    try {
      SavedModelBundle.exporter(dir.toString()).withSession(s).withSignature(sig).export();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Freezes a SavedModel the way TensorFlow's freezing tools do: keeps the nodes the signature's
   * outputs need, replaces each variable by a {@code Const} holding its value, and writes the
   * GraphDef to {@code pb}.
   */
  public static void freeze(Path savedModel, Path pb) {
    try (SavedModelBundle b = SavedModelBundle.load(savedModel.toString(), "serve")) {
      Signature sig = b.signatures().get(0);
      GraphDef gd = b.metaGraphDef().getGraphDef();
      Map<String, NodeDef> byName = new LinkedHashMap<>();
      gd.getNodeList().forEach(n -> byName.put(n.getName(), n));
      List<String> todo = new ArrayList<>();
      sig.getOutputs().values().forEach(d -> todo.add(d.name.split(":")[0]));
      java.util.Set<String> keep = new java.util.LinkedHashSet<>();
      while (!todo.isEmpty()) {
        String n = todo.remove(todo.size() - 1);
        if (keep.add(n)) {
          for (String in : byName.get(n).getInputList()) {
            todo.add(in.replaceFirst("^\\^", "").split(":")[0]);
          }
        }
      }
      GraphDef.Builder out = GraphDef.newBuilder().setVersions(gd.getVersions());
      for (NodeDef n : gd.getNodeList()) {
        if (!keep.contains(n.getName())) {
          continue;
        }
        if (n.getOp().equals("VariableV2")) {
          try (Result r = b.session().runner().fetch(n.getName()).run()) {
            TFloat32 v = (TFloat32) r.get(0);
            float[] values = Tf.values(v);
            TensorProto.Builder tp = TensorProto.newBuilder()
                .setDtype(org.tensorflow.proto.DataType.DT_FLOAT)
                .setTensorShape(n.getAttrOrThrow("shape").getShape());
            java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(4 * values.length)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (float f : values) {
              bytes.putFloat(f);
            }
            tp.setTensorContent(com.google.protobuf.ByteString.copyFrom(bytes.array()));
            out.addNode(NodeDef.newBuilder().setName(n.getName()).setOp("Const")
                .putAttr("dtype", n.getAttrOrThrow("dtype"))
                .putAttr("value", AttrValue.newBuilder().setTensor(tp).build()));
          }
        } else {
          out.addNode(n);
        }
      }
      Files.write(pb, out.build().toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The GraphDef of a SavedModel directory's first meta graph. */
  public static GraphDef graphDef(Path savedModel) {
    try {
      return SavedModel.parseFrom(Files.readAllBytes(savedModel.resolve("saved_model.pb")))
          .getMetaGraphs(0).getGraphDef();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Trains the team's MLP properly and saves it: {@code ForeignModels <dir> <epochs>} trains on
   * all 60000 MNIST training images and prints the test accuracy.
   */
  public static void main(String[] args) {
    Path dir = Path.of(args[0]);
    int epochs = Integer.parseInt(args[1]);
    long start = System.nanoTime();
    double acc = writeMlp(dir, new Training(60000, epochs, 100, 0.1f, 7));
    System.out.printf("MLP fixture written to %s: %d epochs on 60000 MNIST images, test accuracy "
        + "%.2f%%, %.1f s%n", dir, epochs, 100 * acc, (System.nanoTime() - start) / 1e9);
  }

  /** The team's variables and their host-side initial values. */
  static final class Params {
    private final Ops tf;
    private final SplittableRandom rng;
    private final Map<Variable<TFloat32>, float[]> init = new LinkedHashMap<>();
    private final List<Variable<TFloat32>> trainable = new ArrayList<>();

    Params(Ops tf, long seed) {
      this.tf = tf;
      this.rng = new SplittableRandom(seed);
    }

    Variable<TFloat32> he(Ops scope, String name, int fanIn, long... shape) {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      float[] v = new float[(int) n];
      double std = Math.sqrt(2.0 / fanIn);
      for (int i = 0; i < v.length; i++) {
        double u1 = rng.nextDouble();
        double u2 = rng.nextDouble();
        v[i] = (float) (std * Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2));
      }
      return add(scope, name, v, true, shape);
    }

    Variable<TFloat32> zeros(Ops scope, String name, int n) {
      return add(scope, name, new float[n], true, n);
    }

    Variable<TFloat32> filled(Ops scope, String name, int n, float value, boolean train) {
      float[] v = new float[n];
      java.util.Arrays.fill(v, value);
      return add(scope, name, v, train, n);
    }

    Variable<TFloat32> add(Ops scope, String name, float[] v, boolean train,
        long... shape) {
      Variable<TFloat32> var = scope.withName(name).variable(Shape.of(shape), TFloat32.class);
      init.put(var, v);
      if (train) {
        trainable.add(var);
      }
      return var;
    }

    List<Variable<TFloat32>> variables() {
      return new ArrayList<>(init.keySet());
    }

    List<Variable<TFloat32>> trainable() {
      return trainable;
    }

    void initialize(Session s) {
      Ops is = tf.withSubScope("initialize");
      List<TFloat32> tensors = new ArrayList<>();
      try {
        Session.Runner r = s.runner();
        for (Map.Entry<Variable<TFloat32>, float[]> e : init.entrySet()) {
          Shape shape = e.getKey().shape();
          Placeholder<TFloat32> ph = is.placeholder(TFloat32.class, Placeholder.shape(shape));
          TFloat32 t = Tf.tensor(e.getValue(), shape.asArray());
          tensors.add(t);
          r.feed(ph, t).addTarget(is.assign(e.getKey(), ph));
        }
        r.run().close();
      } finally {
        tensors.forEach(TFloat32::close);
      }
    }
  }

  /** A conv (no bias) + batch norm, with moving statistics; ReLU optional. */
  private static final class ConvBn {
    private final Ops scope;
    private final int stride;
    private final int size;
    private final float epsilon;
    private final Variable<TFloat32> kernel;
    private final Variable<TFloat32> gamma;
    private final Variable<TFloat32> beta;
    private final Variable<TFloat32> mean;
    private final Variable<TFloat32> variance;

    ConvBn(Params p, Ops scope, int k, int in, int out, int stride, float epsilon) {
      this.scope = scope;
      this.stride = stride;
      this.size = k;
      this.epsilon = epsilon;
      kernel = p.he(scope, "weights", k * k * in, k, k, in, out);
      gamma = p.filled(scope, "bn_gamma", out, 1f, true);
      beta = p.filled(scope, "bn_beta", out, 0f, true);
      mean = p.filled(scope, "bn_moving_mean", out, 0f, false);
      variance = p.filled(scope, "bn_moving_var", out, 1f, false);
    }

    Operand<TFloat32> apply(Operand<TFloat32> x, boolean training, boolean relu, List<Op> upd) {
      Ops s = training ? scope.withSubScope("train") : scope;
      Operand<TFloat32> y;
      if (training && size == 1 && stride > 1) {
        // the same values; keeps the filter gradient off oneDNN's strided 1x1 kernel
        Operand<TFloat32> sub = s.stridedSlice(x, s.constant(new int[] {0, 0, 0, 0}),
            s.constant(new int[] {0, 0, 0, 0}), s.constant(new int[] {1, stride, stride, 1}),
            org.tensorflow.op.core.StridedSlice.beginMask(15L),
            org.tensorflow.op.core.StridedSlice.endMask(15L));
        y = s.nn.conv2d(sub, kernel, List.of(1L, 1L, 1L, 1L), "VALID");
      } else {
        y = s.nn.conv2d(x, kernel, List.of(1L, (long) stride, (long) stride, 1L), "SAME");
      }
      if (training) {
        Operand<TFloat32> empty = s.constant(new float[0]);
        FusedBatchNorm<TFloat32, TFloat32> bn = s.nn.fusedBatchNorm(y, gamma, beta, empty, empty,
            FusedBatchNorm.epsilon(epsilon), FusedBatchNorm.isTraining(true));
        y = bn.y();
        upd.add(s.assign(mean, s.math.add(s.math.mul(s.identity(mean), s.constant(0.9f)),
            s.math.mul(s.stopGradient(bn.batchMean()), s.constant(0.1f)))));
        upd.add(s.assign(variance, s.math.add(s.math.mul(s.identity(variance),
            s.constant(0.9f)), s.math.mul(s.stopGradient(bn.batchVariance()),
            s.constant(0.1f)))));
      } else {
        y = s.nn.fusedBatchNorm(y, gamma, beta, mean, variance, FusedBatchNorm.epsilon(epsilon),
            FusedBatchNorm.isTraining(false)).y();
      }
      return relu ? s.nn.relu(y) : y;
    }
  }

  /** Plain mini-batch gradient descent on softmax cross-entropy, then a test accuracy. */
  private static final class Trainer {
    private final Ops tf;
    private final Session session;
    private final Placeholder<TFloat32> images;
    private final Operand<TFloat32> logits;
    private final List<Variable<TFloat32>> variables;
    private final List<Op> updates;
    private final Training t;
    Operand<TFloat32> evalLogits;

    Trainer(Ops tf, Session session, Placeholder<TFloat32> images, Operand<TFloat32> logits,
        List<Variable<TFloat32>> variables, List<Op> updates, Training t) {
      this.tf = tf.withSubScope("training");
      this.session = session;
      this.images = images;
      this.logits = logits;
      this.variables = variables;
      this.updates = updates;
      this.t = t;
      this.evalLogits = logits;
    }

    double run(int features) {
      Ops s = tf;
      Placeholder<TFloat32> labels = s.withName("labels").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 10)));
      Operand<TFloat32> loss = s.math.mean(s.nn.softmaxCrossEntropyWithLogits(logits, labels)
          .loss(), s.constant(0));
      Output<?>[] grads = session.graph().addGradients(loss.asOutput(),
          variables.stream().map(Variable::asOutput).toArray(Output<?>[]::new));
      // Every update waits for every gradient: the kernels are read by reference, so an early
      // update would change the weights under the rest of the backward pass.
      List<Op> computed = new ArrayList<>();
      for (Output<?> g : grads) {
        computed.add(s.identity(g));
      }
      computed.addAll(updates);
      Ops after = s.withControlDependencies(computed);
      List<Op> steps = new ArrayList<>();
      for (int i = 0; i < variables.size(); i++) {
        @SuppressWarnings("unchecked")
        Operand<TFloat32> grad = (Operand<TFloat32>) grads[i];
        steps.add(after.assignSub(variables.get(i),
            after.math.mul(grad, after.constant(t.learningRate()))));
      }
      Op step = s.withControlDependencies(steps).noOp();
      ArrayData train = Mnist.train(t.examples());
      SplittableRandom rng = new SplittableRandom(t.seed());
      int n = train.size();
      int[] order = new int[n];
      for (int i = 0; i < n; i++) {
        order[i] = i;
      }
      float[] x = new float[t.batchSize() * features];
      float[] y = new float[t.batchSize() * 10];
      for (int epoch = 0; epoch < t.epochs(); epoch++) {
        for (int i = n - 1; i > 0; i--) {
          int j = rng.nextInt(i + 1);
          int tmp = order[i];
          order[i] = order[j];
          order[j] = tmp;
        }
        for (int start = 0; start + t.batchSize() <= n; start += t.batchSize()) {
          train.fill(java.util.Arrays.copyOfRange(order, start, start + t.batchSize()), x, y);
          try (TFloat32 xt = Tf.tensor(x, shapeOf(t.batchSize(), features));
              TFloat32 yt = Tf.tensor(y, t.batchSize(), 10)) {
            session.runner().feed(images, xt).feed(labels, yt).addTarget(step).run().close();
          }
        }
      }
      ArrayData test = Mnist.test(10000);
      float[] all = test.features();
      int correct = 0;
      for (int start = 0; start < test.size(); start += 1000) {
        float[] xs = java.util.Arrays.copyOfRange(all, start * features,
            (start + 1000) * features);
        try (TFloat32 xt = Tf.tensor(xs, shapeOf(1000, features))) {
          float[] l;
          try (Result r = session.runner().feed(images, xt).fetch(evalLogits).run()) {
            l = Tf.values(r.get(0));
          }
          for (int i = 0; i < 1000; i++) {
            int best = 0;
            for (int k = 1; k < 10; k++) {
              best = l[i * 10 + k] > l[i * 10 + best] ? k : best;
            }
            correct += best == test.label(start + i) ? 1 : 0;
          }
        }
      }
      return correct / (double) test.size();
    }

    private long[] shapeOf(int batch, int features) {
      long[] dims = images.shape().asArray();
      dims[0] = batch;
      return dims;
    }
  }
}
