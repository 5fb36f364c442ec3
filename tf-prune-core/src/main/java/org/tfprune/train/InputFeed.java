package org.tfprune.train;

import org.tfprune.spec.InputSpec;

/**
 * Batches as a training graph's input takes them: every feature, or only the subset a network
 * that reads part of its input is fed (selected on the host).
 */
final class InputFeed {
  private final InputSpec input;
  private final int[] selected;

  /** @param selected the features fed, or null for all */
  InputFeed(InputSpec input, int[] selected) {
    this.input = input;
    this.selected = selected;
  }

  /** Values per example that the graph's input takes. */
  int fedFeatures(TrainingData data) {
    return selected != null ? selected.length : data.featureSize();
  }

  /** Copies the examples {@code idx} of {@code data} as the graph's input takes them. */
  void fill(TrainingData data, int[] idx, float[] x, float[] y) {
    if (selected != null) {
      data.fill(idx, selected, x, y);
    } else {
      data.fill(idx, x, y);
    }
  }

  /** The shape of the input for {@code batch} examples. */
  long[] shape(int batch) {
    if (selected != null) {
      return new long[] {batch, selected.length};
    }
    long[] s = new long[input.shape().size() + 1];
    s[0] = batch;
    for (int i = 1; i < s.length; i++) {
      s[i] = input.shape().get(i - 1);
    }
    return s;
  }
}
