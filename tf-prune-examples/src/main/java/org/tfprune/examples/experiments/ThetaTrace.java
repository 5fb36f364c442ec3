package org.tfprune.examples.experiments;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * What a run's gates did over time: theta of every gate after each epoch (epoch 0 = the
 * initial value) and the deterministic network's MACs fraction at every pruning check.
 *
 * @param thetas entry {@code e} maps each gate group to its theta after epoch {@code e}
 * @param macsCurve pairs {@code (epoch, fraction)}, epoch fractional within an epoch
 */
public record ThetaTrace(ImmutableList<ImmutableMap<String, float[]>> thetas,
    ImmutableList<double[]> macsCurve) {

  /** Gate group names, in graph order (empty for a run without gates). */
  public List<String> groups() {
    return thetas.isEmpty() ? List.of() : List.copyOf(thetas.get(0).keySet());
  }

  /** The trajectory of gate {@code index} of {@code group}: one value per epoch from epoch 0. */
  public double[] trajectory(String group, int index) {
    double[] t = new double[thetas.size()];
    for (int e = 0; e < t.length; e++) {
      float[] g = thetas.get(e).get(group);
      checkArgument(g != null && index >= 0 && index < g.length, "no gate %s[%s]", group, index);
      t[e] = g[index];
    }
    return t;
  }

  /**
   * Up to {@code perGroup} gates of each group chosen at random (seeded), with their
   * trajectories: {@code group -> (gate index -> trajectory)}.
   */
  public Map<String, Map<Integer, double[]>> sample(int perGroup, long seed) {
    Map<String, Map<Integer, double[]>> out = new LinkedHashMap<>();
    SplittableRandom rng = new SplittableRandom(seed);
    for (String g : groups()) {
      int n = thetas.get(0).get(g).length;
      List<Integer> idx = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        idx.add(i);
      }
      for (int i = n - 1; i > 0; i--) {
        int j = rng.nextInt(i + 1);
        idx.set(i, idx.set(j, idx.get(i)));
      }
      Map<Integer, double[]> m = new LinkedHashMap<>();
      idx.subList(0, Math.min(perGroup, n)).stream().sorted()
          .forEach(i -> m.put(i, trajectory(g, i)));
      out.put(g, m);
    }
    return out;
  }
}
