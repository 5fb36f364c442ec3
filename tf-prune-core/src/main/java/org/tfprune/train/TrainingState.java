package org.tfprune.train;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tfprune.loss.StructureWeights;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.slice.WeightSlicer;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.GateGroup;
import org.tfprune.spec.KeepMask;

/**
 * Everything a training run needs to continue where it stopped, in host memory: the structure
 * still in the training graph, every variable's value (weights, theta, batch-norm statistics,
 * masks, optimizer state, the prior's cached terms) and the position in the schedule. A rebuild
 * slices it to a smaller graph; a checkpoint writes it to disk.
 *
 * @param structure the spec training started from (the objective and all reports refer to it)
 *     and what of it the training graph still holds
 * @param parameters the current graph's parameters
 * @param masks frozen-gate masks per gate group of the current graph (1 = may live)
 * @param zeroChecks per structure, how many consecutive pruning checks saw theta at 0
 * @param optimizers optimizer state by optimizer name, then by slot name
 * @param priorCache the prior's cached terms by variable name (empty: recompute them)
 * @param progress the position in the schedule and what was measured so far
 * @param carriedNorms per gate group of the current graph and structure, the squared norm of the
 *     owned weights that rebuilds removed (those whose other end was frozen); the prior's energy
 *     keeps counting them, as it does in a masks-only run where those weights stay in the graph,
 *     so a rebuild does not change the objective (empty: nothing carried)
 */
record TrainingState(TrainedStructure structure, ParameterSet parameters,
    ImmutableMap<String, float[]> masks, ImmutableMap<String, int[]> zeroChecks,
    ImmutableMap<String, ImmutableMap<String, HostTensor>> optimizers,
    ImmutableMap<String, HostTensor> priorCache, Progress progress,
    ImmutableMap<String, float[]> carriedNorms) {

  /**
   * The state training starts from: {@code initial} parameters, every gate open and unfrozen
   * (no gates when ungated), the schedule at its start.
   */
  static TrainingState start(ArchitectureSpec spec, ParameterSet initial, boolean gated) {
    ImmutableMap.Builder<String, float[]> masks = ImmutableMap.builder();
    ImmutableMap.Builder<String, int[]> checks = ImmutableMap.builder();
    if (gated) {
      for (GateGroup g : spec.gateGroups()) {
        float[] ones = new float[g.size()];
        Arrays.fill(ones, 1f);
        masks.put(g.name(), ones);
        checks.put(g.name(), new int[g.size()]);
      }
    }
    return new TrainingState(TrainedStructure.start(spec, initial, gated), initial,
        masks.build(), checks.build(), ImmutableMap.of(), ImmutableMap.of(), Progress.start(),
        ImmutableMap.of());
  }

  /** The spec training started from. */
  ArchitectureSpec initialSpec() {
    return structure.initialSpec();
  }

  /** The shape of every parameter of {@link #initialSpec}. */
  ImmutableMap<String, long[]> initialShapes() {
    return structure.initialShapes();
  }

  /** What of {@link #initialSpec} the training graph still holds (null when ungated). */
  KeepMask inGraph() {
    return structure.inGraph();
  }

  /** The spec of the current training graph. */
  ArchitectureSpec spec() {
    return structure.spec();
  }

  /** What of the current graph may still live: the structures whose mask is 1. */
  KeepMask live() {
    return liveOf(masks);
  }

  /** The structures whose mask is 1. */
  static KeepMask liveOf(Map<String, float[]> masks) {
    Map<String, boolean[]> m = new LinkedHashMap<>();
    masks.forEach((g, mask) -> {
      boolean[] k = new boolean[mask.length];
      for (int i = 0; i < k.length; i++) {
        k[i] = mask[i] > 0;
      }
      m.put(g, k);
    });
    return KeepMask.of(m);
  }

  /**
   * The state of the graph rebuilt without its frozen structures: parameters, optimizer slots
   * and pruning counters sliced with the exporter's rules ({@link WeightSlicer}), masks all 1, the
   * prior's cached terms left to be recomputed.
   */
  TrainingState withoutFrozen() {
    ArchitectureSpec spec = spec();
    KeepMask live = live();
    TrainedStructure rebuilt = structure.keeping(live);
    ArchitectureSpec next = rebuilt.spec();
    ImmutableMap.Builder<String, ImmutableMap<String, HostTensor>> opts = ImmutableMap.builder();
    optimizers.forEach((name, slots) -> opts.put(name, sliceSlots(spec, slots, live)));
    ImmutableMap.Builder<String, float[]> nextMasks = ImmutableMap.builder();
    ImmutableMap.Builder<String, int[]> nextChecks = ImmutableMap.builder();
    for (GateGroup g : next.gateGroups()) {
      float[] ones = new float[g.size()];
      Arrays.fill(ones, 1f);
      nextMasks.put(g.name(), ones);
      int[] kept = live.kept(g.name());
      int[] before = zeroChecks.get(g.name());
      int[] after = new int[kept.length];
      for (int i = 0; i < kept.length; i++) {
        after[i] = before[kept[i]];
      }
      nextChecks.put(g.name(), after);
    }
    Progress p = progress;
    ParameterSet sliced = WeightSlicer.slice(spec, parameters, live);
    // the squared norm each kept structure loses with the weights its frozen neighbours took
    // along, with what its decay needs (CarriedNorms)
    ImmutableMap<String, float[]> carried = RemovedWeights.carriedAfter(initialSpec(), spec,
        next, parameters, sliced, optimizers, live, carriedNorms);
    return new TrainingState(rebuilt, sliced, nextMasks.build(), nextChecks.build(),
        opts.build(), ImmutableMap.of(), new Progress(p.epoch(), p.step(), p.globalStep(),
            p.finetuneStarted(), p.binaryAtEndOfPruning(), p.trainSeconds(), p.lossSum(),
            p.objectiveSum(), p.objectiveCount(), p.epochSeconds(), p.rebuilds() + 1,
            p.history(), p.complete()), carried);
  }

  /**
   * Slices optimizer slots ({@code <variable>/<slot kind>}) like the variables they belong to;
   * scalars such as Adam's beta powers pass unchanged.
   */
  private static ImmutableMap<String, HostTensor> sliceSlots(ArchitectureSpec spec,
      Map<String, HostTensor> slots, KeepMask live) {
    Map<String, Map<String, HostTensor>> byKind = new LinkedHashMap<>();
    Map<String, HostTensor> out = new LinkedHashMap<>();
    slots.forEach((key, value) -> {
      int cut = key.lastIndexOf('/');
      if (cut < 0) {
        out.put(key, value);
      } else {
        byKind.computeIfAbsent(key.substring(cut + 1), k -> new LinkedHashMap<>())
            .put(key.substring(0, cut), value);
      }
    });
    byKind.forEach((kind, values) -> WeightSlicer.slice(spec, new ParameterSet(values), live)
        .asMap().forEach((variable, v) -> out.put(variable + "/" + kind, v)));
    return ImmutableMap.copyOf(out);
  }

  /**
   * Where a run stands.
   *
   * @param epoch the epoch in progress (1-based)
   * @param step steps already done in it
   * @param globalStep steps done since the start
   * @param finetuneStarted whether theta was rounded for the fine-tuning phase
   * @param binaryAtEndOfPruning theta's binary fraction when pruning ended (NaN before)
   * @param trainSeconds wall time of all training steps so far
   * @param lossSum sum of the data loss over the epoch's steps so far
   * @param objectiveSum sum of the objective over the epoch's fetched steps so far
   * @param objectiveCount number of those steps
   * @param epochSeconds wall time of the epoch's steps so far
   * @param rebuilds how many times the graph was rebuilt smaller
   * @param history one entry per finished epoch
   * @param complete whether the run has finished
   */
  record Progress(int epoch, int step, long globalStep, boolean finetuneStarted,
      double binaryAtEndOfPruning, double trainSeconds, double lossSum, double objectiveSum,
      int objectiveCount, double epochSeconds, int rebuilds, ImmutableList<EpochStats> history,
      boolean complete) {

    static Progress start() {
      return new Progress(1, 0, 0, false, Double.NaN, 0, 0, 0, 0, 0, 0, ImmutableList.of(),
          false);
    }
  }
}
