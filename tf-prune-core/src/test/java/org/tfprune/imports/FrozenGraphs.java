package org.tfprune.imports;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BiFunction;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/** Small frozen GraphDefs with constant weights, written for the importer's tests. */
final class FrozenGraphs {
  private FrozenGraphs() {}

  /** Writes {@code dir/name.pb}: placeholder {@code x} of {@code shape}, then {@code body}. */
  static Path write(Path dir, String name, long[] shape,
      BiFunction<Ops, Placeholder<TFloat32>, Operand<?>> body) throws IOException {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(shape)));
      body.apply(tf, x);
      Path f = dir.resolve(name + ".pb");
      Files.write(f, g.toGraphDef().toByteArray());
      return f;
    }
  }

  /** A weight matrix whose values vary with position, so no unit copies another. */
  static Operand<TFloat32> weights(Ops tf, int rows, int cols) {
    float[][] w = new float[rows][cols];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        w[i][j] = 0.1f * ((i * 7 + j * 3) % 5 - 2);
      }
    }
    return tf.constant(w);
  }

  /** {@code x W + 0} with {@link #weights}. */
  static Operand<TFloat32> dense(Ops tf, Operand<TFloat32> x, int in, int out) {
    return tf.nn.biasAdd(tf.linalg.matMul(x, weights(tf, in, out)), tf.constant(new float[out]));
  }
}
