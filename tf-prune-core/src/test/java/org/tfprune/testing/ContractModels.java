package org.tfprune.testing;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.io.ParseExample;
import org.tensorflow.op.nn.TopK;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TType;

/**
 * Models whose serving contract goes beyond one signature with logits and probabilities, built
 * the way Keras and TF1 write them (untrained, random weights: enough to compare an import or an
 * export with the original): several signatures, an {@code ArgMax} output listed first, {@code
 * TopK}, a class-name lookup, a rescaling prefix, a rank-3 input, a {@code tf.Example} input.
 */
public final class ContractModels {
  /** The class names the lookup returns. */
  public static final String[] NAMES = {"zero", "one", "two", "three", "four", "five", "six",
      "seven", "eight", "nine"};

  private static final java.nio.charset.Charset UTF8 = java.nio.charset.StandardCharsets.UTF_8;

  private ContractModels() {}

  /**
   * A Keras-like MLP 784-32-10 with a Rescaling prefix ({@code x * 2 - 1}) and two signatures:
   * {@code serving_default} (input {@code input_1}; outputs {@code classes}, an ArgMax listed
   * first, and {@code dense_2}, the softmax) and {@code predict_top} (input {@code input_1};
   * outputs {@code indices} and {@code scores} of TopK over the probabilities, and {@code names},
   * the top class's name).
   */
  public static void writeTwoSignatures(Path dir) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("input_1").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 784)));
      Ops r = tf.withSubScope("rescaling");
      Operand<TFloat32> scaled = r.withName("sub").math.sub(r.withName("mul").math.mul(x,
          r.constant(2f)), r.constant(1f));
      Weights w = new Weights(tf, s, 3);
      Operand<TFloat32> probs = tf.withName("softmax").nn.softmax(mlp(tf, w, scaled,
          784));
      Operand<TInt64> classes = tf.withName("classes").math.argMax(probs, tf.constant(1));
      TopK<TFloat32, ?> top = tf.withName("top_k").nn.topK(probs, tf.constant(3),
          new TopK.Options[0]);
      Operand<TString> names = tf.withName("class_names").gather(tf.constant(java.nio.charset.StandardCharsets.UTF_8, NAMES), classes,
          tf.constant(0));
      export(dir, s, Signature.builder().key("serving_default").input("input_1", x)
          .output("classes", classes).output("dense_2", probs).build(),
          Signature.builder().key("predict_top").input("input_1", x)
              .output("scores", top.values()).output("indices", top.indices())
              .output("names", names).build());
    }
  }

  /**
   * A Keras-like MLP 784-32-10 that takes pixels as stored, 0 to 255, and scales them itself
   * ({@code Rescaling(1./255)}: {@code x * (1/255)}), with one signature: input {@code input_1},
   * output {@code dense_2} (the softmax).
   */
  public static void writeByteRescaled(Path dir) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("input_1").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 784)));
      Ops r = tf.withSubScope("rescaling");
      Operand<TFloat32> scaled = r.withName("mul").math.mul(x, r.constant(1f / 255f));
      Weights w = new Weights(tf, s, 5);
      Operand<TFloat32> probs = tf.withName("softmax").nn.softmax(mlp(tf, w, scaled, 784));
      export(dir, s, Signature.builder().key("serving_default").input("input_1", x)
          .output("dense_2", probs).build());
    }
  }

  /**
   * A Keras-like MLP that takes images as {@code [N, 28, 28]} ({@code flatten_input}), flattens
   * them with a Reshape and returns the softmax as {@code output_0}.
   */
  public static void writeRank3(Path dir) {
    writeRank3(dir, 28);
  }

  /** As {@link #writeRank3(Path)}, for {@code side x side} images. */
  public static void writeRank3(Path dir, int side) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("flatten_input").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, side, side)));
      Operand<TFloat32> flat = tf.withSubScope("flatten").withName("Reshape").reshape(x,
          tf.constant(new int[] {-1, side * side}));
      Weights w = new Weights(tf, s, 5);
      Operand<TFloat32> probs = tf.withName("softmax").nn.softmax(mlp(tf, w, flat,
          side * side));
      export(dir, s, Signature.builder().key("serving_default").input("flatten_input", x)
          .output("output_0", probs).build());
    }
  }

  /**
   * TF Serving's MNIST example shape: signature {@code serving_default} takes serialized
   * {@code tf.Example}s ({@code examples}, parsed by ParseExample into the 784-float feature
   * {@code x}) and returns {@code classes} (ArgMax) and {@code scores} (softmax); signature
   * {@code predict_images} takes the parsed images through their Identity {@code x} and returns
   * {@code scores}.
   */
  public static void writeTfExample(Path dir) {
    writeTfExample(dir, false);
  }

  /**
   * As {@link #writeTfExample(Path)}; with {@code withKey}, {@code serving_default} also takes
   * {@code key} (int64 {@code [-1]}) and returns it through an Identity as output {@code key}.
   */
  public static void writeTfExample(Path dir, boolean withKey) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TString> serialized = tf.withName("tf_example").placeholder(TString.class,
          Placeholder.shape(Shape.of(-1)));
      List<Class<? extends TType>> none = List.of();
      ParseExample parsed = tf.withName("ParseExample").io.parseExample(serialized,
          noStrings(tf), noStrings(tf), tf.constant(UTF8,
          new String[] {"x"}),
          noStrings(tf), List.of(tf.constant(new float[784])), 0L, none, none,
          List.of(), List.of(Shape.of(784)));
      @SuppressWarnings("unchecked")
      Operand<TFloat32> images = tf.withName("x").identity(
          (Operand<TFloat32>) parsed.denseValues().get(0));
      Weights w = new Weights(tf, s, 7);
      Operand<TFloat32> probs = tf.withName("scores").nn.softmax(mlp(tf, w, images, 784));
      Operand<TInt64> classes = tf.withName("classes").math.argMax(probs, tf.constant(1));
      Signature.Builder served = Signature.builder().key("serving_default").methodName(
              "tensorflow/serving/classify").input("examples", serialized)
          .output("classes", classes).output("scores", probs);
      if (withKey) {
        Placeholder<TInt64> key = tf.withName("key").placeholder(TInt64.class,
            Placeholder.shape(Shape.of(-1)));
        served.input("key", key).output("key", tf.withName("key_out").identity(key));
      }
      export(dir, s, served.build(),
          Signature.builder().key("predict_images").input("images", images)
              .output("scores", probs).build());
    }
  }

  /**
   * An MLP 784-32-10 with signature {@code serving_default} (input {@code x}, output {@code
   * probs}) and {@code embed}, whose output {@code features} is the hidden layer's activation.
   */
  public static void writeWithInnerOutput(Path dir) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 784)));
      Weights w = new Weights(tf, s, 9);
      Ops d1 = tf.withSubScope("dense_1");
      Operand<TFloat32> h = d1.withName("Relu").nn.relu(d1.nn.biasAdd(d1.linalg.matMul(x,
          w.of(d1, "kernel", 784, 32)), w.of(d1, "bias", 32)));
      Ops d2 = tf.withSubScope("dense_2");
      Operand<TFloat32> logits = d2.nn.biasAdd(d2.linalg.matMul(h, w.of(d2, "kernel", 32, 10)),
          w.of(d2, "bias", 10));
      Operand<TFloat32> probs = tf.withName("probs").nn.softmax(logits);
      export(dir, s, Signature.builder().key("serving_default").input("x", x)
          .output("probs", probs).build(),
          Signature.builder().key("embed").input("x", x).output("features", h).build());
    }
  }

  /**
   * An MLP 784-32-10 whose hidden layer goes through TF1's dropout {@code h / keep_prob *
   * floor(keep_prob + uniform)}; {@code keep_prob} is a scalar Placeholder, or, with {@code
   * withDefault}, a PlaceholderWithDefault of 1. Signature {@code serving_default}: input
   * {@code x}, output {@code probs}.
   */
  public static void writeWithDropout(Path dir, boolean withDefault) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 784)));
      Operand<TFloat32> keep = withDefault
          ? tf.withName("keep_prob").placeholderWithDefault(tf.constant(1f), Shape.scalar())
          : tf.withName("keep_prob").placeholder(TFloat32.class,
              Placeholder.shape(Shape.scalar()));
      Weights w = new Weights(tf, s, 11);
      Ops d1 = tf.withSubScope("dense_1");
      Operand<TFloat32> h = d1.nn.relu(d1.nn.biasAdd(d1.linalg.matMul(x,
          w.of(d1, "kernel", 784, 32)), w.of(d1, "bias", 32)));
      Ops dr = tf.withSubScope("dropout");
      Operand<TFloat32> mask = dr.math.floor(dr.math.add(keep, dr.random.randomUniform(
          dr.shape(h), TFloat32.class)));
      h = dr.math.mul(dr.math.div(h, keep), mask);
      Ops d2 = tf.withSubScope("dense_2");
      Operand<TFloat32> logits = d2.nn.biasAdd(d2.linalg.matMul(h, w.of(d2, "kernel", 32, 10)),
          w.of(d2, "bias", 10));
      Operand<TFloat32> probs = tf.withName("probs").nn.softmax(logits);
      export(dir, s, Signature.builder().key("serving_default").input("x", x)
          .output("probs", probs).build());
    }
  }

  /**
   * A batch-prediction model: signature {@code serving_default} takes {@code images} ({@code
   * [-1, 28, 28, 1]} float, through a conv net 8-32-10) and {@code key} (a string {@code [-1]},
   * or with {@code int64Key} an int64 {@code [-1, 1]}), and returns {@code probabilities} (the
   * softmax) and {@code key}, an Identity of the key input. With {@code scaled}, the model also
   * takes {@code scale} ({@code [-1, 1]} float), multiplied into the hidden dense activation:
   * then the logits read two inputs.
   */
  public static void writeKeyPassthrough(Path dir, boolean int64Key, boolean scaled) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("images").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 28, 28, 1)));
      Placeholder<? extends TType> key = int64Key
          ? tf.withName("key").placeholder(TInt64.class, Placeholder.shape(Shape.of(-1, 1)))
          : tf.withName("key").placeholder(TString.class, Placeholder.shape(Shape.of(-1)));
      Weights w = new Weights(tf, s, 13);
      Ops c = tf.withSubScope("conv2d");
      Operand<TFloat32> h = c.nn.relu(c.nn.biasAdd(c.nn.conv2d(x, w.of(c, "kernel", 3, 3, 1, 8),
          List.of(1L, 2L, 2L, 1L), "SAME"), w.of(c, "bias", 8)));
      Ops f = tf.withSubScope("flatten");
      h = f.reshape(h, f.constant(new int[] {-1, 14 * 14 * 8}));
      Ops d1 = tf.withSubScope("dense_1");
      h = d1.nn.relu(d1.nn.biasAdd(d1.linalg.matMul(h, w.of(d1, "kernel", 14 * 14 * 8, 32)),
          w.of(d1, "bias", 32)));
      Placeholder<TFloat32> scale = null;
      if (scaled) {
        scale = tf.withName("scale").placeholder(TFloat32.class,
            Placeholder.shape(Shape.of(-1, 1)));
        h = tf.withSubScope("scaling").math.mul(h, scale);
      }
      Ops d2 = tf.withSubScope("dense_2");
      Operand<TFloat32> logits = d2.withName("BiasAdd").nn.biasAdd(d2.linalg.matMul(h,
          w.of(d2, "kernel", 32, 10)), w.of(d2, "bias", 10));
      Operand<TFloat32> probs = tf.withName("softmax").nn.softmax(logits);
      Operand<? extends TType> keyOut = tf.withName("output_key").identity(key);
      Signature.Builder b = Signature.builder().key("serving_default").input("images", x)
          .input("key", key).output("probabilities", probs).output("key", keyOut);
      if (scaled) {
        b.input("scale", scale);
      }
      export(dir, s, b.build());
    }
  }

  /** {@code count} serialized tf.Examples holding {@code x}'s rows as the float feature "x". */
  public static byte[][] examples(float[] x, int count) {
    int n = x.length / count;
    byte[][] out = new byte[count][];
    for (int e = 0; e < count; e++) {
      try {
        ByteArrayOutputStream floats = new ByteArrayOutputStream();
        CodedOutputStream c = CodedOutputStream.newInstance(floats);
        for (int i = 0; i < n; i++) {
          c.writeFloatNoTag(x[e * n + i]);
        }
        c.flush();
        byte[] floatList = message(cos -> cos.writeBytes(1, ByteString.copyFrom(
            floats.toByteArray()))); // FloatList.value, packed
        byte[] feature = message(cos -> cos.writeByteArray(2, floatList)); // Feature.float_list
        byte[] entry = message(cos -> {
          cos.writeString(1, "x");
          cos.writeByteArray(2, feature);
        });
        byte[] features = message(cos -> cos.writeByteArray(1, entry)); // Features.feature
        out[e] = message(cos -> cos.writeByteArray(1, features)); // Example.features
      } catch (IOException ex) {
        throw new UncheckedIOException(ex);
      }
    }
    return out;
  }

  private static Operand<TString> noStrings(Ops tf) {
    return tf.constant(Shape.of(0), DataBuffers.ofObjects(String.class, 0));
  }

  private interface Body {
    void write(CodedOutputStream c) throws IOException;
  }

  private static byte[] message(Body b) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CodedOutputStream c = CodedOutputStream.newInstance(out);
    b.write(c);
    c.flush();
    return out.toByteArray();
  }

  /** dense_1 (32 units, ReLU) and dense_2 (10 logits, BiasAdd). */
  private static Operand<TFloat32> mlp(Ops tf, Weights w, Operand<TFloat32> x, int in) {
    Ops d1 = tf.withSubScope("dense_1");
    Operand<TFloat32> h = d1.nn.relu(d1.nn.biasAdd(d1.linalg.matMul(x, w.of(d1, "kernel", in,
        32)), w.of(d1, "bias", 32)));
    Ops d2 = tf.withSubScope("dense_2");
    return d2.withName("BiasAdd").nn.biasAdd(d2.linalg.matMul(h, w.of(d2, "kernel", 32, 10)),
        w.of(d2, "bias", 10));
  }

  /** Variables with random values assigned at once. */
  private static final class Weights {
    private final Ops tf;
    private final Session s;
    private final SplittableRandom rng;

    Weights(Ops tf, Session s, long seed) {
      this.tf = tf;
      this.s = s;
      this.rng = new SplittableRandom(seed);
    }

    Variable<TFloat32> of(Ops scope, String name, long... shape) {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      float[] v = new float[(int) n];
      double std = Math.sqrt(2.0 / shape[0]);
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) (std * (rng.nextDouble() * 2 - 1) * 1.7);
      }
      Variable<TFloat32> var = scope.withName(name).variable(Shape.of(shape), TFloat32.class);
      try (TFloat32 t = TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(v, true, false))) {
        Placeholder<TFloat32> p = scope.withName(name + "_init").placeholder(TFloat32.class);
        s.runner().feed(p, t).addTarget(scope.withName(name + "_assign").assign(var, p)).run()
            .close();
      }
      return var;
    }
  }

  private static void export(Path dir, Session s, Signature... sigs) {
    try {
      SavedModelBundle.exporter(dir.toString()).withSession(s).withSignatures(sigs).export();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
