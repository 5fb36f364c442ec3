package org.tfprune.train;

import com.google.common.collect.ImmutableMap;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.types.TFloat32;
import org.tfprune.build.NetworkGraph;
import org.tfprune.loss.PriorScales;
import org.tfprune.loss.StructureWeights;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.GateGroup;
import org.tfprune.spec.LayerSpec;
import org.tfprune.spec.ResidualBlock;

/**
 * The pruning condition and the rebuild decision on one training graph: which structures are
 * frozen (their masks and zero-check counters), and whether they hold enough MACs to rebuild.
 */
final class GatePruning {
  private final TrainerConfig config;
  private final TrainingGraph graph;
  private final TrainedStructure structure;
  private final Map<String, int[]> zeroChecks = new LinkedHashMap<>();
  private final Map<String, float[]> masks = new LinkedHashMap<>();
  private final Set<String> bypassable = new HashSet<>();

  /** The frozen structures and counters of {@code start}, on {@code graph}. */
  GatePruning(TrainerConfig config, TrainingGraph graph, TrainingState start) {
    this.config = config;
    this.graph = graph;
    this.structure = start.structure();
    start.masks().forEach((g, m) -> masks.put(g, m.clone()));
    start.zeroChecks().forEach((g, z) -> zeroChecks.put(g, z.clone()));
    for (GateGroup g : graph.net().gateGroups()) {
      if (g.bypassable()) {
        bypassable.add(g.name());
      }
    }
  }

  /** The masks per gate group (1 = may live); read-only view. */
  Map<String, float[]> masks() {
    return masks;
  }

  ImmutableMap<String, float[]> copyOfMasks() {
    ImmutableMap.Builder<String, float[]> m = ImmutableMap.builder();
    masks.forEach((g, v) -> m.put(g, v.clone()));
    return m.build();
  }

  ImmutableMap<String, int[]> copyOfZeroChecks() {
    ImmutableMap.Builder<String, int[]> z = ImmutableMap.builder();
    zeroChecks.forEach((g, v) -> z.put(g, v.clone()));
    return z.build();
  }

  /** Freezes structures whose theta stayed at 0 and whose weights have decayed. */
  void apply(Map<String, float[]> theta) {
    PruningCondition cond = config.pruningCondition();
    Session.Runner r = graph.session().runner();
    Map<String, org.tensorflow.Operand<TFloat32>> norms = graph.norms();
    List<String> groups = new ArrayList<>(norms.keySet());
    groups.forEach(g -> r.fetch(norms.get(g)));
    boolean changed = false;
    try (Result res = r.run()) {
      for (int gi = 0; gi < groups.size(); gi++) {
        String g = groups.get(gi);
        float[] sq = HostTensor.of((TFloat32) res.get(gi)).values();
        float[] t = theta.get(g);
        float[] m = masks.get(g);
        int[] zc = zeroChecks.get(g);
        PriorScales p = StructureWeights.scales(structure.initialSpec(), g);
        double bound = cond.maxRmsOverSigma1() * Math.sqrt(p.sigma1Squared());
        int liveMasks = 0;
        for (float v : m) {
          liveMasks += v > 0 ? 1 : 0;
        }
        for (int i = 0; i < t.length; i++) {
          zc[i] = t[i] == 0f ? zc[i] + 1 : 0;
          double rms = Math.sqrt(sq[i] / p.weightsPerStructure());
          boolean lastOfLayer = liveMasks <= 1 && !bypassable.contains(g);
          if (m[i] > 0 && zc[i] >= cond.zeroChecks() && rms <= bound && !lastOfLayer) {
            m[i] = 0f;
            liveMasks--;
            changed = true;
          }
        }
        if (!bypassable.contains(g)) {
          changed |= keepOneAlive(t, m);
        }
      }
    }
    changed |= propagateBlockDeath(theta);
    if (changed) {
      writeGateState(theta);
    }
  }

  /**
   * Writes every gate group's theta ({@code theta}, as read and then edited on the host) and
   * mask back to the graph. Always the same variables, so the session reuses one executor:
   * each new combination of fed variables would cost it several milliseconds to prepare.
   */
  void writeGateState(Map<String, float[]> theta) {
    Map<String, HostTensor> all = new LinkedHashMap<>();
    theta.forEach((g, t) -> {
      all.put(ParameterSet.key(g, ParameterSet.THETA), new HostTensor(new long[] {t.length}, t));
      float[] m = masks.get(g);
      all.put(ParameterSet.key(g, NetworkGraph.MASK), new HostTensor(new long[] {m.length}, m));
    });
    graph.net().assign(graph.session(), all);
  }

  /**
   * A residual block whose inner filters (conv1's, or a bottleneck's middle ones) are all
   * closed is dead: its branch would only add a
   * constant (the last batch norm's offset), so its gate is closed and frozen too, and the
   * gated network stays equal to the compact one. Returns whether a block was closed.
   */
  private boolean propagateBlockDeath(Map<String, float[]> theta) {
    boolean closed = false;
    for (LayerSpec l : structure.spec().layers()) {
      if (l instanceof ResidualBlock r && r.gated() && r.conv1().gated()) {
        float[] inner = theta.get(r.conv1().name());
        boolean anyLive = false;
        for (float v : inner) {
          anyLive |= v >= 0.5f;
        }
        if (r.middle() != null) { // a bottleneck also dies with all its middle filters closed
          boolean middleLive = false;
          for (float v : theta.get(r.middle().name())) {
            middleLive |= v >= 0.5f;
          }
          anyLive &= middleLive;
        }
        float[] block = theta.get(r.name());
        if (!anyLive && (block[0] != 0f || masks.get(r.name())[0] != 0f)) {
          block[0] = 0f;
          masks.get(r.name())[0] = 0f;
          closed = true;
        }
      }
    }
    return closed;
  }

  /**
   * A layer that nothing can bypass keeps at least one structure: when every theta of a group
   * has fallen below 0.5, the unfrozen structure with the largest theta is reopened (theta 1).
   * Returns whether one was.
   */
  private static boolean keepOneAlive(float[] t, float[] m) {
    int best = -1;
    for (int i = 0; i < t.length; i++) {
      if (t[i] >= 0.5f) {
        return false;
      }
      if (m[i] > 0 && (best < 0 || t[i] > t[best])) {
        best = i;
      }
    }
    if (best >= 0) {
      t[best] = 1f;
    }
    return best >= 0;
  }

  /**
   * A copy of {@code theta} as {@link #roundTheta} would keep it (before rounding): a layer that
   * nothing can bypass whose every theta fell below 0.5 keeps its largest unfrozen one at 1.
   */
  Map<String, float[]> keptTheta(Map<String, float[]> theta) {
    Map<String, float[]> kept = new LinkedHashMap<>();
    theta.forEach((g, t) -> {
      float[] c = t.clone();
      if (!bypassable.contains(g)) {
        keepOneAlive(c, masks.get(g));
      }
      kept.put(g, c);
    });
    return kept;
  }

  /**
   * Rounds theta to its deterministic value for the fine-tuning phase; a layer that nothing can
   * bypass keeps its structure with the largest theta when every theta fell below 0.5.
   */
  void roundTheta() {
    Map<String, float[]> rounded = new LinkedHashMap<>();
    graph.readThetas().forEach((g, t) -> {
      if (!bypassable.contains(g)) {
        keepOneAlive(t, masks.get(g));
      }
      float[] r = new float[t.length];
      for (int i = 0; i < t.length; i++) {
        r[i] = t[i] >= 0.5f ? 1f : 0f;
      }
      rounded.put(g, r);
    });
    propagateBlockDeath(rounded);
    rounded.forEach((g, r) -> {
      // fine-tuning never reopens a gate: what is closed now is frozen
      float[] m = masks.get(g);
      for (int i = 0; i < r.length; i++) {
        m[i] = r[i] == 0f ? 0f : m[i];
      }
    });
    writeGateState(rounded);
  }

  /**
   * Whether the frozen structures hold enough of this graph's MACs to rebuild it without them
   * ({@code threshold} 0: whenever any is frozen).
   */
  boolean rebuildDue(double threshold) {
    if (!config.gated() || config.rebuildThreshold() == 0) {
      return false;
    }
    boolean anyFrozen = masks.values().stream().anyMatch(m -> {
      for (float v : m) {
        if (v == 0f) {
          return true;
        }
      }
      return false;
    });
    if (!anyFrozen) {
      return false;
    }
    return 1 - structure.macsWithout(masks) / structure.trainingMacs() >= threshold;
  }

  /** Structures pruned for good: removed by rebuilds or frozen in this graph. */
  int frozen() {
    int f = structure.removed();
    for (float[] m : masks.values()) {
      for (float v : m) {
        f += v == 0f ? 1 : 0;
      }
    }
    return f;
  }
}
