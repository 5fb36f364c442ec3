package org.tfprune.imports;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Optional;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * Values for a signature input other than the network's (a key passed through), as the checks
 * feed it: a batch of {@code count} in the placeholder's dtype and shape (unknown dimensions but
 * the batch taken as 1), holding {@code "k0", "k1", ...} for strings, {@code 0, 1, ...} for
 * integers and {@code 0.5, 1.5, ...} for floats.
 */
final class InputValues {
  private InputValues() {}

  /** The batch for {@code placeholder}, or empty for a dtype this does not generate. */
  static Optional<Tensor> of(NodeDef placeholder, int count) {
    checkArgument(count > 0, "a batch needs at least one example");
    DataType type = placeholder.getAttrOrThrow("dtype").getType();
    Shape shape = shape(placeholder, count);
    int n = (int) shape.size();
    return switch (type) {
      case DT_STRING -> {
        String[] v = new String[n];
        for (int i = 0; i < n; i++) {
          v[i] = "k" + i;
        }
        yield Optional.of(TString.tensorOf(shape, DataBuffers.ofObjects(v)));
      }
      case DT_INT64 -> {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
          v[i] = i;
        }
        yield Optional.of(TInt64.tensorOf(shape, DataBuffers.of(v, true, false)));
      }
      case DT_INT32 -> {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) {
          v[i] = i;
        }
        yield Optional.of(TInt32.tensorOf(shape, DataBuffers.of(v, true, false)));
      }
      case DT_FLOAT -> {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
          v[i] = i + 0.5f;
        }
        yield Optional.of(TFloat32.tensorOf(shape, DataBuffers.of(v, true, false)));
      }
      case DT_DOUBLE -> {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
          v[i] = i + 0.5;
        }
        yield Optional.of(TFloat64.tensorOf(shape, DataBuffers.of(v, true, false)));
      }
      default -> Optional.empty();
    };
  }

  private static Shape shape(NodeDef placeholder, int count) {
    TensorShapeProto s = placeholder.getAttrMap().containsKey("shape")
        ? placeholder.getAttrOrThrow("shape").getShape() : null;
    if (s == null || s.getUnknownRank() || s.getDimCount() == 0) {
      return s != null && !s.getUnknownRank() ? Shape.scalar() : Shape.of(count);
    }
    long[] d = new long[s.getDimCount()];
    for (int i = 0; i < d.length; i++) {
      d[i] = i == 0 ? count : s.getDim(i).getSize() > 0 ? s.getDim(i).getSize() : 1;
    }
    return Shape.of(d);
  }
}
