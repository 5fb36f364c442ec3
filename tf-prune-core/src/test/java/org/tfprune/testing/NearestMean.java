package org.tfprune.testing;

/**
 * The nearest-class-mean classifier, computed exactly on the host: the accuracy a run that
 * learned must reach on the same data, independent of TensorFlow, the CPU and the seed.
 */
public final class NearestMean {
  private NearestMean() {}

  /** Test accuracy of classifying each test example by the closest training class mean. */
  public static double accuracy(ArrayData train, ArrayData test) {
    int f = train.featureSize();
    int k = train.numClasses();
    float[] x = train.features();
    double[] mean = new double[k * f];
    int[] count = new int[k];
    for (int i = 0; i < train.size(); i++) {
      int c = train.label(i);
      count[c]++;
      for (int j = 0; j < f; j++) {
        mean[c * f + j] += x[i * f + j];
      }
    }
    for (int c = 0; c < k; c++) {
      for (int j = 0; j < f; j++) {
        mean[c * f + j] /= Math.max(1, count[c]);
      }
    }
    float[] t = test.features();
    int correct = 0;
    for (int i = 0; i < test.size(); i++) {
      int best = -1;
      double bestDistance = Double.POSITIVE_INFINITY;
      for (int c = 0; c < k; c++) {
        if (count[c] == 0) {
          continue;
        }
        double d = 0;
        for (int j = 0; j < f; j++) {
          double e = t[i * f + j] - mean[c * f + j];
          d += e * e;
        }
        if (d < bestDistance) {
          bestDistance = d;
          best = c;
        }
      }
      if (best == test.label(i)) {
        correct++;
      }
    }
    return (double) correct / test.size();
  }
}
