package org.tfprune.testing;

import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

/** Small helpers for fetching float values in tests. */
public final class Tf {
  private Tf() {}

  /** Runs {@code op} and copies its values to a flat array. */
  public static float[] fetch(Session s, Operand<?> op) {
    try (Result r = s.runner().fetch(op).run()) {
      return values((TFloat32) r.get(0));
    }
  }

  /** Copies a float tensor to a flat array. */
  public static float[] values(Tensor t) {
    TFloat32 f = (TFloat32) t;
    float[] v = new float[(int) f.shape().size()];
    f.copyTo(DataBuffers.of(v, false, false));
    return v;
  }

  /** A new float tensor; the caller closes it. */
  public static TFloat32 tensor(float[] v, long... shape) {
    return TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(v, true, false));
  }

  public static double[] toDouble(float[] v) {
    double[] d = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      d[i] = v[i];
    }
    return d;
  }
}
