package org.tfprune.train;

import com.google.common.collect.ImmutableMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tfprune.complexity.CostAlgebra;
import org.tfprune.complexity.CostModel;
import org.tfprune.complexity.LayerCost;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.GateGroup;
import org.tfprune.spec.KeepMask;

/**
 * Progress and results in terms of the spec training started from: live widths, cost fractions,
 * theta's binary fraction and full-length theta, whatever rebuilds removed, and the final
 * {@link TrainingResult}.
 */
final class ProgressReport {
  private final boolean gated;
  private final TrainedStructure structure;

  ProgressReport(boolean gated, TrainedStructure structure) {
    this.gated = gated;
    this.structure = structure;
  }

  /**
   * Live structures per gate group of the spec training started from (0 for groups a rebuild
   * removed), so progress and history keep one shape for the whole run.
   */
  ImmutableMap<String, Integer> liveWidths(Map<String, float[]> theta) {
    ImmutableMap.Builder<String, Integer> b = ImmutableMap.builder();
    if (!gated) {
      return b.build();
    }
    for (GateGroup g : structure.initialSpec().gateGroups()) {
      int live = 0;
      for (float v : theta.getOrDefault(g.name(), new float[0])) {
        live += v >= 0.5f ? 1 : 0;
      }
      b.put(g.name(), live);
    }
    return b.build();
  }

  private LayerCost<Double> deterministicCost(Map<String, float[]> theta) {
    Map<String, Integer> live = liveWidths(theta);
    return CostModel.total(structure.spec(), g -> (double) live.get(g), CostAlgebra.HOST);
  }

  double macsFraction(Map<String, float[]> theta) {
    return !gated ? 1.0 : deterministicCost(theta).macs() / structure.dense().macs();
  }

  /** Expected MACs under the gates (widths = sums of theta) over dense MACs. */
  double expectedMacsFraction(Map<String, float[]> theta) {
    return expectedCost(theta).macs() / structure.dense().macs();
  }

  /** Expected parameters under the gates over dense parameters. */
  double expectedParamsFraction(Map<String, float[]> theta) {
    return expectedCost(theta).params() / structure.dense().params();
  }

  private LayerCost<Double> expectedCost(Map<String, float[]> theta) {
    return CostModel.total(structure.spec(), g -> {
      double sum = 0;
      for (float t : theta.get(g)) {
        sum += t;
      }
      return sum;
    }, CostAlgebra.HOST);
  }

  double paramsFraction(Map<String, float[]> theta) {
    return !gated ? 1.0 : deterministicCost(theta).params() / structure.dense().params();
  }

  /**
   * {@link #binaryFraction} over every structure of the spec training started from: those a
   * rebuild removed have theta 0.
   */
  double binaryOfAll(Map<String, float[]> theta) {
    int removed = structure.removed();
    long n = removed;
    for (float[] t : theta.values()) {
      n += t.length;
    }
    return n == 0 ? 1.0 : (binaryFraction(theta) * (n - removed) + removed) / n;
  }

  /**
   * Theta for every gate group of the spec training started from, at full length: the entries
   * of structures a rebuild removed are 0.
   */
  Map<String, float[]> thetaOfAll(Map<String, float[]> theta) {
    Map<String, float[]> all = new LinkedHashMap<>();
    for (GateGroup g : structure.initialSpec().gateGroups()) {
      float[] full = new float[g.size()];
      float[] now = theta.get(g.name());
      if (now != null) {
        int[] kept = structure.inGraph().kept(g.name());
        for (int i = 0; i < kept.length; i++) {
          full[kept[i]] = now[i];
        }
      }
      all.put(g.name(), full);
    }
    return all;
  }

  /**
   * The result in terms of the spec training started from: parameters back at their full shapes
   * (zeros where structures were removed during training) and the keep-mask relative to it.
   */
  static TrainingResult result(TrainingState s, boolean gated) {
    TrainingState.Progress p = s.progress();
    double binary = gated ? p.binaryAtEndOfPruning() : 1.0;
    TrainedStructure structure = s.structure();
    if (structure.inGraph() == null) {
      return new TrainingResult(structure.initialSpec(), s.parameters(),
          KeepMask.all(structure.initialSpec()), p.history(), binary, p.trainSeconds());
    }
    KeepMask keep = structure.keepOfInitial(KeepMask.fromTheta(s.parameters().thetas()));
    ParameterSet full = structure.expand(s.parameters());
    return new TrainingResult(structure.initialSpec(), full, keep, p.history(), binary,
        p.trainSeconds());
  }

  /** Fraction of gate probabilities within 0.01 of 0 or 1. */
  static double binaryFraction(Map<String, float[]> theta) {
    long n = 0;
    long binary = 0;
    for (float[] t : theta.values()) {
      for (float v : t) {
        n++;
        binary += (v <= 0.01f || v >= 0.99f) ? 1 : 0;
      }
    }
    return n == 0 ? 1.0 : (double) binary / n;
  }
}
