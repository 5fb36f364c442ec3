package org.tfprune.train;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongToDoubleFunction;

/**
 * The prior energy a rebuilt graph carries for the weights it no longer holds, decayed on the
 * host as those weights would have decayed in the masked graph.
 *
 * <p>A weight that reads a frozen structure gets no data gradient in the masked graph (its input
 * is exactly 0); only the prior's gradient {@code 2 (c_s + c_x) w / N} moves it, through the
 * weight optimizer, where {@code c_s = t_s / (2 sigma1^2) + (1 - t_s) / (2 sigma0^2)} is the
 * coefficient of the kept structure that owns it and {@code c_x} that of a frozen co-owner (an
 * input feature owning its row of the first kernel: its spike). Per structure this class keeps
 * the removed weights' squared norm {@code S}, their count {@code n} and the optimizer state of
 * one representative weight of magnitude {@code sqrt(S / n)} (Adam's moments, or the momentum
 * accumulator, along the weight's sign), and steps that weight exactly as the optimizer would.
 * For weights of equal magnitude and optimizer state this is exact; otherwise it is their
 * root-mean-square.
 *
 * <p>It lives in {@link TrainingState#carriedNorms()} as four arrays per gate group: the group's
 * name holds {@code S}; {@code <group>#count}, {@code <group>#m} and {@code <group>#v} the rest.
 */
final class CarriedNorms {
  static final String COUNT = "#count";
  static final String FIRST_MOMENT = "#m";
  static final String SECOND_MOMENT = "#v";
  static final String EXTRA = "#extra";
  private static final double BETA2 = 0.999;
  private static final double EPSILON = 1e-7;

  /** Per gate group: squared norm, count, first moment, second moment, co-owner coefficient. */
  private final Map<String, double[][]> groups = new LinkedHashMap<>();

  private CarriedNorms() {}

  /** Reads the model from a state's carried map (gate groups only; other keys are kept apart). */
  static CarriedNorms of(Map<String, float[]> stored) {
    CarriedNorms c = new CarriedNorms();
    stored.forEach((key, s) -> {
      if (key.indexOf('#') >= 0) {
        return;
      }
      double[][] g = new double[5][s.length];
      for (int i = 0; i < s.length; i++) {
        g[0][i] = s[i];
      }
      copyInto(stored.get(key + COUNT), g[1]);
      copyInto(stored.get(key + FIRST_MOMENT), g[2]);
      copyInto(stored.get(key + SECOND_MOMENT), g[3]);
      copyInto(stored.get(key + EXTRA), g[4]);
      if (stored.get(key + COUNT) == null) {
        // a norm carried without its decay state: one weight of that norm
        Arrays.fill(g[1], 1);
      }
      c.groups.put(key, g);
    });
    return c;
  }

  private static void copyInto(float[] from, double[] to) {
    if (from != null) {
      for (int i = 0; i < to.length; i++) {
        to[i] = from[i];
      }
    }
  }

  boolean isEmpty() {
    return groups.isEmpty();
  }

  /** The carried squared norm per structure, by gate group. */
  Map<String, float[]> squaredNorms() {
    Map<String, float[]> out = new LinkedHashMap<>();
    groups.forEach((name, g) -> out.put(name, toFloats(g[0])));
    return out;
  }

  /** The model as a state's carried map. */
  ImmutableMap<String, float[]> stored() {
    ImmutableMap.Builder<String, float[]> b = ImmutableMap.builder();
    groups.forEach((name, g) -> {
      b.put(name, toFloats(g[0]));
      b.put(name + COUNT, toFloats(g[1]));
      b.put(name + FIRST_MOMENT, toFloats(g[2]));
      b.put(name + SECOND_MOMENT, toFloats(g[3]));
      b.put(name + EXTRA, toFloats(g[4]));
    });
    return b.build();
  }

  private static float[] toFloats(double[] d) {
    float[] f = new float[d.length];
    for (int i = 0; i < d.length; i++) {
      f[i] = (float) d[i];
    }
    return f;
  }

  /**
   * Adds removed weights to structure {@code i} of {@code group} (of {@code size} structures):
   * {@code squaredNorm} over {@code count} weights whose mean Adam second moment is {@code v},
   * pulled by a co-owner coefficient {@code extra} besides their structure's own.
   */
  void add(String group, int size, int i, double squaredNorm, double count, double v,
      double extra) {
    double[][] g = groups.computeIfAbsent(group, k -> new double[5][size]);
    checkArgument(g[0].length == size, "group %s has %s structures, not %s", group, g[0].length,
        size);
    if (count <= 0) {
      return;
    }
    double n = g[1][i] + count;
    // the merged representative: root-mean-square magnitude, count-weighted optimizer state
    g[2][i] = (float) ((g[2][i] * g[1][i]) / n);
    g[3][i] = (float) ((g[3][i] * g[1][i] + v * count) / n);
    g[4][i] = (float) ((g[4][i] * g[1][i] + extra * count) / n);
    g[0][i] = (float) (g[0][i] + squaredNorm);
    g[1][i] = (float) n;
  }

  /**
   * Steps every carried weight {@code steps} times under the prior's gradient alone, as {@code
   * optimizer} steps a weight of the masked graph.
   *
   * @param coefficients per gate group, {@code c_s / N} of each kept structure (held fixed over
   *     the steps, as the trainer's cached weight gradient is)
   * @param learningRate the weight learning rate at a global step
   * @param firstStep the global step of the first of these steps
   * @param optimizerSteps how many updates the optimizer had made before them (Adam's bias
   *     correction)
   */
  void advance(int steps, Map<String, double[]> coefficients, OptimizerSpec optimizer,
      LongToDoubleFunction learningRate, long firstStep, long optimizerSteps,
      double trainingExamples) {
    groups.forEach((name, g) -> {
      double[] c = coefficients.get(name);
      if (c == null) {
        return;
      }
      for (int i = 0; i < g[0].length; i++) {
        if (g[1][i] <= 0 || g[0][i] <= 0) {
          continue;
        }
        double a = Math.sqrt(g[0][i] / g[1][i]);
        double m = g[2][i];
        double v = g[3][i];
        double coefficient = c[i] + g[4][i] / trainingExamples;
        for (int k = 0; k < steps; k++) {
          double lr = learningRate.applyAsDouble(firstStep + k);
          double grad = 2 * coefficient * a;
          if (optimizer.kind() == OptimizerSpec.Kind.ADAM) {
            long t = optimizerSteps + k + 1;
            double b1 = optimizer.momentum();
            m = b1 * m + (1 - b1) * grad;
            v = BETA2 * v + (1 - BETA2) * grad * grad;
            double lrT = lr * Math.sqrt(1 - Math.pow(BETA2, t)) / (1 - Math.pow(b1, t));
            a -= lrT * m / (Math.sqrt(v) + EPSILON);
          } else {
            double mu = optimizer.momentum();
            m = mu * m + grad;
            a -= lr * grad + lr * mu * m; // Nesterov, as the weight optimizer
          }
          if (a < 0) {
            a = -a; // the weight crossed zero: track its magnitude, its momentum along it
            m = -m;
          }
        }
        // held at float precision, as stored: a resumed run continues exactly
        g[0][i] = (float) (g[1][i] * a * a);
        g[2][i] = (float) m;
        g[3][i] = (float) v;
      }
    });
  }
}
