package org.tfprune.examples.prune;

import java.util.stream.IntStream;
import org.tfprune.examples.data.LabeledImages;
import org.tfprune.export.FixedPrefix;
import org.tfprune.train.TrainingData;

/**
 * Data passed through a model's kept prefix (e.g. a Rescaling layer): the network is trained and
 * tested on what it reads when the model is served, not on what the client sends.
 */
final class PrefixedData {
  private static final int BATCH = 1000;

  private PrefixedData() {}

  /** Training batches, each run through {@code prefix} as it is drawn. */
  static TrainingData train(TrainingData data, FixedPrefix prefix) {
    return new TrainingData() {
      @Override
      public int size() {
        return data.size();
      }

      @Override
      public int featureSize() {
        return data.featureSize();
      }

      @Override
      public int numClasses() {
        return data.numClasses();
      }

      @Override
      public void fill(int[] indices, float[] features, float[] oneHot) {
        data.fill(indices, features, oneHot);
        float[] y = prefix.apply(features.length == indices.length * featureSize() ? features
            : java.util.Arrays.copyOf(features, indices.length * featureSize()), indices.length);
        System.arraycopy(y, 0, features, 0, y.length);
      }
    };
  }

  /** The test set run through {@code prefix}, shaped as the network reads it. */
  static LabeledImages test(LabeledImages test, FixedPrefix prefix, int[] networkShape) {
    float[] out = new float[test.count() * test.featureSize()];
    for (int start = 0; start < test.count(); start += BATCH) {
      int n = Math.min(BATCH, test.count() - start);
      float[] y = prefix.apply(test.features(IntStream.range(start, start + n).toArray()), n);
      System.arraycopy(y, 0, out, start * test.featureSize(), y.length);
    }
    return LabeledImages.of(test.name(), networkShape, out, test.labels(), test.numClasses());
  }
}
