package org.tfprune.slice;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Arrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

/** A float tensor held on the host: a shape and its row-major values. Immutable. */
public final class HostTensor {
  private final long[] shape;
  private final float[] values;

  public HostTensor(long[] shape, float[] values) {
    long n = 1;
    for (long d : shape) {
      checkArgument(d >= 0, "negative dimension in shape %s", Arrays.toString(shape));
      n *= d;
    }
    checkArgument(n == values.length, "shape %s holds %s values, got %s", Arrays.toString(shape),
        n, values.length);
    this.shape = shape.clone();
    this.values = values.clone();
  }

  /** Copies a TF tensor to the host. */
  public static HostTensor of(TFloat32 t) {
    float[] v = new float[(int) t.shape().size()];
    t.copyTo(DataBuffers.of(v, false, false));
    return new HostTensor(t.shape().asArray(), v);
  }

  public long[] shape() {
    return shape.clone();
  }

  public int dim(int i) {
    return (int) shape[i];
  }

  public int rank() {
    return shape.length;
  }

  public int size() {
    return values.length;
  }

  /** A copy of the values. */
  public float[] values() {
    return values.clone();
  }

  public float get(int i) {
    return values[i];
  }

  /** A new TF tensor holding these values; the caller closes it. */
  public TFloat32 toTensor() {
    return TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(values, true, false));
  }

  /** Keeps the given indices along {@code axis} (ascending indices, no repeats needed). */
  public HostTensor select(int axis, int[] keep) {
    checkArgument(axis >= 0 && axis < shape.length, "axis %s out of range for rank %s", axis,
        shape.length);
    int outer = 1;
    for (int i = 0; i < axis; i++) {
      outer *= (int) shape[i];
    }
    int inner = 1;
    for (int i = axis + 1; i < shape.length; i++) {
      inner *= (int) shape[i];
    }
    int n = (int) shape[axis];
    float[] out = new float[outer * keep.length * inner];
    int o = 0;
    for (int a = 0; a < outer; a++) {
      for (int k : keep) {
        checkArgument(k >= 0 && k < n, "index %s out of range [0, %s)", k, n);
        System.arraycopy(values, (a * n + k) * inner, out, o, inner);
        o += inner;
      }
    }
    long[] s = shape.clone();
    s[axis] = keep.length;
    return new HostTensor(s, out);
  }

  /** A copy with index {@code index} along {@code axis} set to zero. */
  public HostTensor withZeroAt(int axis, int index) {
    checkArgument(axis >= 0 && axis < shape.length, "axis %s out of range for rank %s", axis,
        shape.length);
    int n = (int) shape[axis];
    checkArgument(index >= 0 && index < n, "index %s out of range [0, %s)", index, n);
    int outer = 1;
    for (int i = 0; i < axis; i++) {
      outer *= (int) shape[i];
    }
    int inner = 1;
    for (int i = axis + 1; i < shape.length; i++) {
      inner *= (int) shape[i];
    }
    float[] out = values.clone();
    for (int a = 0; a < outer; a++) {
      java.util.Arrays.fill(out, (a * n + index) * inner, (a * n + index + 1) * inner, 0f);
    }
    return new HostTensor(shape.clone(), out);
  }

  /** Max absolute element-wise difference to {@code other} (same shape required). */
  public double maxAbsDiff(HostTensor other) {
    checkArgument(Arrays.equals(shape, other.shape), "shapes differ: %s vs %s",
        Arrays.toString(shape), Arrays.toString(other.shape));
    double m = 0;
    for (int i = 0; i < values.length; i++) {
      m = Math.max(m, Math.abs(values[i] - other.values[i]));
    }
    return m;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HostTensor h && Arrays.equals(shape, h.shape)
        && Arrays.equals(values, h.values);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(shape) + Arrays.hashCode(values);
  }

  @Override
  public String toString() {
    return "HostTensor" + Arrays.toString(shape);
  }
}
