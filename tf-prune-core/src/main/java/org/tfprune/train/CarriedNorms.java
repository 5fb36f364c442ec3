package org.tfprune.train;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;
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
 * coefficient of the kept structure that owns it and {@code c_x} the spikes of its frozen
 * co-owners (an input feature owning its row of the first kernel). Each removed weight is kept
 * with its magnitude and its optimizer state (Adam's moments, or the momentum accumulator, along
 * the weight's sign) and stepped exactly as the optimizer would step it. Weights of one
 * structure whose magnitude lies within a factor of {@code sqrt 2} and whose {@code sqrt v}
 * within a factor of {@code 2^(1/4)} are merged into one entry (their root-mean-square magnitude,
 * mean moments and count), so a wide network's removed weights take a few dozen entries per
 * structure: every weight of an entry decays at the rate of its neighbours in both.
 *
 * <p>It lives in {@link TrainingState#carriedNorms()} per gate group: the group's name holds the
 * carried squared norm per structure, {@code <group>#owner}, {@code #count}, {@code #magnitude},
 * {@code #m}, {@code #v} and {@code #extra} the entries.
 */
final class CarriedNorms {
  static final String OWNER = "#owner";
  static final String COUNT = "#count";
  static final String MAGNITUDE = "#magnitude";
  static final String FIRST_MOMENT = "#m";
  static final String SECOND_MOMENT = "#v";
  static final String EXTRA = "#extra";
  private static final double BETA2 = 0.999;
  private static final double EPSILON = 1e-7;
  /** Bins per octave of a weight's magnitude and of {@code sqrt v} when entries are merged. */
  private static final double MAGNITUDE_BINS = 2;
  private static final double MOMENT_BINS = 4;

  /** Where an entry belongs: its structure, its co-owners' pull and its two bins. */
  private record Bin(int owner, double extra, double magnitude, double moment) {
    static Bin of(double[] e) {
      return new Bin((int) e[0], e[5], bin(e[2], MAGNITUDE_BINS), bin(Math.sqrt(e[4]),
          MOMENT_BINS));
    }
  }

  /** The entries of one gate group of {@code size} structures, one per bin. */
  private static final class Group {
    final int size;
    // owner, count, magnitude, m, v, extra
    final Map<Bin, double[]> entries = new LinkedHashMap<>();

    Group(int size) {
      this.size = size;
    }

    /**
     * Merges {@code e} into its bin: root-mean-square magnitude (the squared norm is kept
     * exactly), count-weighted moments.
     */
    void put(double[] e) {
      double[] b = entries.putIfAbsent(Bin.of(e), e);
      if (b == null) {
        return;
      }
      double n = b[1] + e[1];
      b[2] = Math.sqrt((b[1] * b[2] * b[2] + e[1] * e[2] * e[2]) / n);
      b[3] = (b[1] * b[3] + e[1] * e[3]) / n;
      b[4] = (b[1] * b[4] + e[1] * e[4]) / n;
      b[1] = n;
    }

    double[] squaredNorms() {
      double[] s = new double[size];
      for (double[] e : entries.values()) {
        s[(int) e[0]] += e[1] * e[2] * e[2];
      }
      return s;
    }
  }

  private final Map<String, Group> groups = new LinkedHashMap<>();

  private CarriedNorms() {}

  /** An empty model. */
  static CarriedNorms empty() {
    return new CarriedNorms();
  }

  /**
   * Reads the model from a state's carried map (gate groups only; keys starting with {@code #}
   * belong to others). A group stored as one representative per structure (its squared norm with
   * {@code #count}, {@code #m}, {@code #v} and {@code #extra} per structure, without {@code
   * #owner}) is read as one entry per structure.
   */
  static CarriedNorms of(Map<String, float[]> stored) {
    CarriedNorms c = new CarriedNorms();
    stored.forEach((key, s) -> {
      if (key.indexOf('#') >= 0) {
        return;
      }
      Group g = new Group(s.length);
      float[] owners = stored.get(key + OWNER);
      if (owners != null) {
        float[] count = stored.get(key + COUNT);
        float[] a = stored.get(key + MAGNITUDE);
        float[] m = stored.get(key + FIRST_MOMENT);
        float[] v = stored.get(key + SECOND_MOMENT);
        float[] x = stored.get(key + EXTRA);
        for (int i = 0; i < owners.length; i++) {
          g.put(new double[] {owners[i], count[i], a[i], m[i], v[i], x[i]});
        }
      } else {
        for (int i = 0; i < s.length; i++) {
          double n = at(stored.get(key + COUNT), i, 1);
          if (s[i] > 0 && n > 0) {
            g.put(new double[] {i, n, Math.sqrt(s[i] / n),
                at(stored.get(key + FIRST_MOMENT), i, 0), at(stored.get(key + SECOND_MOMENT), i, 0),
                at(stored.get(key + EXTRA), i, 0)});
          }
        }
      }
      c.groups.put(key, g);
    });
    return c;
  }

  private static double at(float[] values, int i, double otherwise) {
    return values == null ? otherwise : values[i];
  }

  boolean isEmpty() {
    return groups.values().stream().allMatch(g -> g.entries.isEmpty());
  }

  /** The number of entries of {@code group} (0 for a group with nothing carried). */
  int entries(String group) {
    Group g = groups.get(group);
    return g == null ? 0 : g.entries.size();
  }

  /** The carried squared norm per structure, by gate group. */
  Map<String, float[]> squaredNorms() {
    Map<String, float[]> out = new LinkedHashMap<>();
    groups.forEach((name, g) -> out.put(name, toFloats(g.squaredNorms())));
    return out;
  }

  /** The model as a state's carried map. */
  ImmutableMap<String, float[]> stored() {
    ImmutableMap.Builder<String, float[]> b = ImmutableMap.builder();
    groups.forEach((name, g) -> {
      b.put(name, toFloats(g.squaredNorms()));
      String[] keys = {OWNER, COUNT, MAGNITUDE, FIRST_MOMENT, SECOND_MOMENT, EXTRA};
      for (int k = 0; k < keys.length; k++) {
        float[] f = new float[g.entries.size()];
        int i = 0;
        for (double[] e : g.entries.values()) {
          f[i++] = (float) e[k];
        }
        b.put(name + keys[k], f);
      }
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
   * The model of a rebuilt graph: per gate group still present, the entries of the kept
   * structures, renumbered to their positions in {@code kept} and binned by their magnitudes
   * now; groups absent from {@code kept} are dropped.
   */
  CarriedNorms keeping(Map<String, int[]> kept) {
    CarriedNorms c = new CarriedNorms();
    groups.forEach((name, g) -> {
      int[] k = kept.get(name);
      if (k == null) {
        return;
      }
      int[] position = new int[g.size];
      java.util.Arrays.fill(position, -1);
      for (int i = 0; i < k.length; i++) {
        position[k[i]] = i;
      }
      Group next = new Group(k.length);
      for (double[] e : g.entries.values()) {
        int p = position[(int) e[0]];
        if (p >= 0) {
          double[] moved = e.clone();
          moved[0] = p;
          next.put(moved);
        }
      }
      c.groups.put(name, next);
    });
    return c;
  }

  /**
   * Adds one removed weight to structure {@code owner} of {@code group} (of {@code size}
   * structures): its magnitude, its optimizer moments ({@code m} along its sign) and the spike
   * coefficient {@code extra} of its frozen co-owners. It joins the entry of its bin.
   */
  void add(String group, int size, int owner, double magnitude, double m, double v,
      double extra) {
    Group g = groups.computeIfAbsent(group, k -> new Group(size));
    checkArgument(g.size == size, "group %s has %s structures, not %s", group, g.size, size);
    checkArgument(owner >= 0 && owner < size, "structure %s of %s", owner, size);
    if (magnitude > 0) {
      g.put(new double[] {owner, 1, magnitude, m, v, extra});
    }
  }

  /** Declares {@code group} of {@code size} structures, so it is carried even while empty. */
  void declare(String group, int size) {
    Group g = groups.computeIfAbsent(group, k -> new Group(size));
    checkArgument(g.size == size, "group %s has %s structures, not %s", group, g.size, size);
  }

  private static double bin(double x, double perOctave) {
    return x <= 0 ? Double.NEGATIVE_INFINITY
        : Math.floor(Math.log(x) / Math.log(2) * perOctave);
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
    double[] rates = new double[steps];
    for (int k = 0; k < steps; k++) {
      rates[k] = learningRate.applyAsDouble(firstStep + k);
    }
    groups.forEach((name, g) -> {
      double[] c = coefficients.get(name);
      if (c == null) {
        return;
      }
      for (double[] e : g.entries.values()) {
        double coefficient = c[(int) e[0]] + e[5] / trainingExamples;
        double a = e[2];
        double m = e[3];
        double v = e[4];
        for (int k = 0; k < steps && a > 0; k++) {
          double grad = 2 * coefficient * a;
          if (optimizer.kind() == OptimizerSpec.Kind.ADAM) {
            long t = optimizerSteps + k + 1;
            double b1 = optimizer.momentum();
            m = b1 * m + (1 - b1) * grad;
            v = BETA2 * v + (1 - BETA2) * grad * grad;
            double lrT = rates[k] * Math.sqrt(1 - Math.pow(BETA2, t)) / (1 - Math.pow(b1, t));
            a -= lrT * m / (Math.sqrt(v) + EPSILON);
          } else {
            double mu = optimizer.momentum();
            m = mu * m + grad;
            a -= rates[k] * grad + rates[k] * mu * m; // Nesterov, as the weight optimizer
          }
          if (a < 0) {
            a = -a; // the weight crossed zero: track its magnitude, its momentum along it
            m = -m;
          }
        }
        // held at float precision, as stored: a resumed run continues exactly
        e[2] = (float) a;
        e[3] = (float) m;
        e[4] = (float) v;
      }
    });
  }
}
