package org.tfprune.build;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * How a serving graph reads the kept input features of a flat input: one {@code Slice} per run
 * of consecutive features, joined by one {@code ConcatV2} (a single run is one slice). The
 * alternative, a gather, needs the whole input transposed first (TensorFlow's CPU gather of
 * columns copies one float at a time): on LeNet-300-100 with 172 pixels kept in 28 runs, the
 * transpose was 45% of the compact model's time at batch 256 and 1024, and slices with a concat
 * took 0.69x the time of transpose, gather and product at batch 32 and 256 and 0.45x at 1024
 * (1.16x at batch 1). The features and their order are the same, so the product is the same.
 * Only up to {@link #MAX_RUNS} runs; more keep the gather.
 */
final class InputRuns {
  /** The most runs read as slices (28 measured). */
  static final int MAX_RUNS = 32;

  private InputRuns() {}

  /** The runs of consecutive features in {@code features}, in order: {first, length} each. */
  static List<int[]> of(int[] features) {
    checkArgument(features.length > 0, "no input feature to read");
    List<int[]> runs = new ArrayList<>();
    for (int i = 0; i < features.length; ) {
      int j = i;
      while (j + 1 < features.length && features[j + 1] == features[j] + 1) {
        j++;
      }
      runs.add(new int[] {features[i], j - i + 1});
      i = j + 1;
    }
    return runs;
  }

  /** {@code x[:, features]} for a {@code [N, F]} input, by slices of its runs. */
  static Operand<TFloat32> select(Ops s, Operand<TFloat32> x, int[] features) {
    List<Operand<TFloat32>> parts = new ArrayList<>();
    for (int[] run : of(features)) {
      parts.add(s.slice(x, s.constant(new int[] {0, run[0]}), s.constant(new int[] {-1,
          run[1]})));
    }
    return parts.size() == 1 ? parts.get(0) : s.concat(parts, s.constant(1));
  }
}
