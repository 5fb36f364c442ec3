package org.tfprune.testing;

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
import org.tensorflow.op.core.Identity;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.SwitchCond;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.nn.FusedBatchNorm;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;

/**
 * TF1 models with an {@code is_training} switch inside the network, built as {@code
 * tf.layers.batch_normalization(training=is_training)} and {@code tf.cond(is_training,
 * dropout, identity)} build them: v1 control flow ({@code Switch} of every tensor a branch reads
 * on {@code cond/pred_id}, constants of a branch under a control input on {@code switch_t} /
 * {@code switch_f}, a {@code Merge} of the false and true branch results).
 */
public final class ControlFlowModels {
  /** The serving signature's input key and its outputs' keys; the second signature's key. */
  public static final String INPUT_KEY = "image";
  public static final String PROBS = "probs";
  public static final String CLASSES = "classes";
  public static final String LOGITS_SIGNATURE = "predict_logits";
  public static final String LOGITS = "logits";

  /** What decides the branches. */
  public enum Predicate {
    /** {@code is_training}: a {@code PlaceholderWithDefault} of false. */
    DEFAULT_FALSE,
    /** {@code is_training}: a boolean {@code Placeholder} without a default. */
    PLACEHOLDER,
    /** A predicate computed from the data: {@code mean(images) > 0.5}. */
    FROM_DATA
  }

  private ControlFlowModels() {}

  /**
   * A conv net for 28x28x1 images: 3x3 conv (8 filters, no bias), batch norm in a {@code
   * tf.cond} on the predicate (batch statistics when true, moving ones when false), ReLU, 2x2
   * max pooling, a flatten, dropout in a second {@code tf.cond} (identity when false), dense 10
   * logits. Signature {@code serving_default}: input {@code image}, outputs {@code probs} (the
   * softmax) and {@code classes} (ArgMax); signature {@code predict_logits}: output {@code
   * logits}. Weights and statistics are random.
   */
  public static void write(Path dir, Predicate predicate) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("images").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 28, 28, 1)));
      Operand<TBool> isTraining = switch (predicate) {
        case DEFAULT_FALSE -> tf.withName("is_training").placeholderWithDefault(
            tf.constant(false), Shape.scalar());
        case PLACEHOLDER -> tf.withName("is_training").placeholder(TBool.class,
            Placeholder.shape(Shape.scalar()));
        case FROM_DATA -> tf.withName("is_training").math.greater(tf.math.mean(x,
            tf.constant(new int[] {0, 1, 2, 3})), tf.constant(0.5f));
      };
      Weights w = new Weights(tf, s, 5);
      Ops c1 = tf.withSubScope("conv1");
      Operand<TFloat32> conv = c1.nn.conv2d(x, w.of(c1, "kernel", 0.5f, 0f, 3, 3, 1, 8),
          List.of(1L, 1L, 1L, 1L), "SAME");
      Ops bn = c1.withSubScope("batch_normalization");
      Operand<TFloat32> gamma = read(bn, w.of(bn, "gamma", 0.3f, 1f, 8), "gamma");
      Operand<TFloat32> beta = read(bn, w.of(bn, "beta", 0.3f, 0f, 8), "beta");
      Operand<TFloat32> mean = read(bn, w.of(bn, "moving_mean", 0.3f, 0f, 8), "moving_mean");
      Operand<TFloat32> var = read(bn, w.of(bn, "moving_variance", 0.3f, 1f, 8),
          "moving_variance");
      Cond cond = new Cond(bn.withSubScope("cond"), isTraining);
      Ops t = cond.trueBranch();
      Operand<TFloat32> empty = t.constant(new float[0]);
      Operand<TFloat32> trained = t.nn.fusedBatchNorm(cond.onTrue(conv), cond.onTrue(gamma),
          cond.onTrue(beta), empty, empty, FusedBatchNorm.isTraining(true),
          FusedBatchNorm.epsilon(1e-3f)).y();
      Operand<TFloat32> served = cond.scope.withName("FusedBatchNorm_1").nn.fusedBatchNorm(
          cond.onFalse(conv), cond.onFalse(gamma), cond.onFalse(beta), cond.onFalse(mean),
          cond.onFalse(var), FusedBatchNorm.isTraining(false), FusedBatchNorm.epsilon(1e-3f))
          .y();
      Operand<TFloat32> y = cond.merge(served, trained);
      y = c1.nn.relu(y);
      Ops pool = tf.withSubScope("pool");
      y = pool.nn.maxPool(y, pool.constant(new int[] {1, 2, 2, 1}),
          pool.constant(new int[] {1, 2, 2, 1}), "VALID");
      y = tf.withSubScope("flatten").reshape(y, tf.constant(new int[] {-1, 14 * 14 * 8}));
      Cond drop = new Cond(tf.withSubScope("dropout").withSubScope("cond"), isTraining);
      Ops dt = drop.trueBranch();
      Operand<TFloat32> kept = drop.onTrue(y);
      Operand<TFloat32> dropped = dt.math.mul(dt.math.div(kept, dt.constant(0.5f)),
          dt.math.floor(dt.math.add(dt.constant(0.5f), dt.random.randomUniform(dt.shape(kept),
          TFloat32.class))));
      y = drop.merge(drop.scope.withName("Identity").identity(drop.onFalse(y)), dropped);
      Ops d = tf.withSubScope("logits");
      Operand<TFloat32> logits = d.withName("BiasAdd").nn.biasAdd(d.linalg.matMul(y,
          w.of(d, "kernel", 0.05f, 0f, 14 * 14 * 8, 10)), w.of(d, "bias", 0.1f, 0f, 10));
      Operand<TFloat32> probs = tf.withName("probs").nn.softmax(logits);
      Operand<?> classes = tf.withName("classes").math.argMax(logits, tf.constant(1));
      SavedModelBundle.exporter(dir.toString()).withSession(s).withSignatures(
          Signature.builder().key("serving_default").input(INPUT_KEY, x).output(PROBS, probs)
              .output(CLASSES, classes).build(),
          Signature.builder().key(LOGITS_SIGNATURE).input(INPUT_KEY, x).output(LOGITS, logits)
              .build()).export();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** TF1's {@code name/read} identity of a variable. */
  private static Operand<TFloat32> read(Ops scope, Variable<TFloat32> v, String name) {
    return scope.withSubScope(name).withName("read").identity(v);
  }

  /** One {@code tf.cond}: its pred_id, switch_t / switch_f and a Switch per tensor read. */
  private static final class Cond {
    private final Ops scope;
    private final Operand<TBool> predId;
    private final Identity<TBool> switchT;
    private int switches;

    Cond(Ops scope, Operand<TBool> pred) {
      this.scope = scope;
      SwitchCond<TBool> sw = scope.withName("Switch").switchCond(pred, pred);
      this.switchT = scope.withName("switch_t").identity(sw.outputTrue());
      scope.withName("switch_f").identity(sw.outputFalse());
      this.predId = scope.withName("pred_id").identity(pred);
    }

    /** The scope of the true branch's constants: under a control input on switch_t. */
    Ops trueBranch() {
      return scope.withControlDependencies(List.of(switchT));
    }

    Operand<TFloat32> onTrue(Operand<TFloat32> t) {
      return next(t).outputTrue();
    }

    Operand<TFloat32> onFalse(Operand<TFloat32> t) {
      return next(t).outputFalse();
    }

    private SwitchCond<TFloat32> next(Operand<TFloat32> t) {
      return scope.withName("Switch_" + ++switches).switchCond(t, predId);
    }

    Operand<TFloat32> merge(Operand<TFloat32> onFalse, Operand<TFloat32> onTrue) {
      return scope.withName("Merge").merge(List.of(onFalse, onTrue)).output();
    }
  }

  /** Variables with random values (uniform around {@code center}) assigned at once. */
  static final class Weights {
    private final Ops tf;
    private final Session s;
    private final SplittableRandom rng;

    Weights(Ops tf, Session s, long seed) {
      this.tf = tf;
      this.s = s;
      this.rng = new SplittableRandom(seed);
    }

    Variable<TFloat32> of(Ops scope, String name, float spread, float center, long... shape) {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      float[] v = new float[(int) n];
      for (int i = 0; i < v.length; i++) {
        v[i] = center + (float) (spread * (rng.nextDouble() * 2 - 1));
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
}
