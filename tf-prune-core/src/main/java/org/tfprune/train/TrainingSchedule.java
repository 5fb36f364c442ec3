package org.tfprune.train;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.types.TFloat32;
import org.tfprune.loss.PriorScales;
import org.tfprune.loss.StructureWeights;

/**
 * The step loop and schedule on one training graph: epochs and their phases (warm-up, pruning,
 * fine-tuning), batches, learning rates, pruning checks and saves, until the run ends or the
 * graph should be rebuilt smaller.
 */
final class TrainingSchedule {
  /** Steps between two fetches of the full objective (a report; the data loss is every step). */
  static final int OBJECTIVE_EVERY = 10;
  /**
   * A budget run stops pruning once the structure it would keep is at most this fraction above
   * its target (read every {@link BudgetController#UPDATE_EVERY} steps): gates that would close
   * after it only take the network below the target. Pruning that jumps past the window in one
   * reading (a structure holding more of the network than the window) still lands below.
   */
  static final double LANDING_MARGIN = 0.05;
  /**
   * Within this margin above every target (three times it) the landing check reads the
   * structure every step: VGG-16's 30% budget fell from above 45% to 21% within twenty steps.
   */
  static final double NEAR_MARGIN = 2.0;

  /** Where a graph's schedule stopped, and whether to rebuild the graph smaller and go on. */
  record Outcome(TrainingState state, boolean rebuild) {}

  private final TrainerConfig config;
  private final TrainingListener listener;
  private final TrainingGraph graph;
  private final TrainingState start;
  private final GatePruning pruning;
  private final ProgressReport report;
  private final RunCheckpoints checkpoints;
  private final boolean gated;
  /** The carried norms of removed weights and their decay; empty before the first rebuild. */
  private final CarriedNorms carried;
  /** Steers the strength towards the budget (null: no budget). */
  private final BudgetController controller;
  /** The global step up to which {@link #carried} has decayed. */
  private long carriedAt;
  private long totalSteps;
  private int stepsPerEpoch;

  TrainingSchedule(TrainerConfig config, TrainingListener listener, TrainingGraph graph,
      TrainingState start, RunCheckpoints checkpoints) {
    this.config = config;
    this.listener = listener;
    this.graph = graph;
    this.start = start;
    this.pruning = new GatePruning(config, graph, start);
    this.report = new ProgressReport(config.gated(), start.structure());
    this.checkpoints = checkpoints;
    this.gated = config.gated();
    this.carried = CarriedNorms.of(start.carriedNorms());
    this.carriedAt = start.progress().globalStep();
    float[] saved = start.carriedNorms().get(BUDGET_KEY);
    double initial = config.knobs().strength() > 0 ? config.knobs().strength() : 1.0;
    this.controller = !gated || !config.budget().isSet() ? null
        : saved == null ? new BudgetController(config.budget(), initial)
        : new BudgetController(config.budget(), initial, saved[0], saved[1]);
  }

  /** The key of the budget controller's integral term in a state's carried map. */
  static final String BUDGET_KEY = "#budget";

  /** The strength the objective uses now. */
  private double strength() {
    return controller != null ? controller.strength() : config.knobs().strength();
  }

  /** Sets every variable of the graph from the state it starts from. */
  void load() {
    graph.loadParameters(start, pruning.masks());
    graph.setStrength(strength());
    graph.setCarriedNorms(carried.squaredNorms());
    if (gated) {
      // writes back what was just loaded: prepares the executor the pruning condition's writes
      // use, so the first structure frozen does not stall a step for milliseconds
      pruning.writeGateState(graph.readThetas());
    }
    graph.loadOptimizersAndCaches(start);
  }

  /** Reads the whole state back from the graph, at a position in the schedule. */
  TrainingState snapshot(TrainingState.Progress progress) {
    var optimizers = graph.readOptimizers();
    var cached = graph.readPriorCache();
    var masks = pruning.copyOfMasks();
    var zeroChecks = pruning.copyOfZeroChecks();
    if (gated && !carried.isEmpty() && progress.globalStep() > carriedAt) {
      decayCarried(graph.readThetas(), progress.globalStep());
    }
    ImmutableMap.Builder<String, float[]> carriedState = ImmutableMap.builder();
    carriedState.putAll(carried.stored());
    if (controller != null) {
      carriedState.put(BUDGET_KEY, new float[] {(float) controller.logMultiplier(),
          (float) controller.lastProgress()});
    }
    return new TrainingState(start.structure(), graph.readParameters(), masks, zeroChecks,
        optimizers, cached, progress, carriedState.build());
  }

  /**
   * Decays the carried norms over the steps since the last decay, as the removed weights would
   * have decayed in the masked graph, and writes them into the graph.
   */
  private void decayCarried(Map<String, float[]> theta, long globalStep) {
    long steps = globalStep - carriedAt;
    if (carried.isEmpty() || steps <= 0) {
      carriedAt = globalStep;
      return;
    }
    Map<String, double[]> coefficients = new LinkedHashMap<>();
    double n = graph.trainingExamples();
    theta.forEach((g, t) -> {
      PriorScales p = StructureWeights.scales(start.initialSpec(), g);
      double[] c = new double[t.length];
      for (int i = 0; i < t.length; i++) {
        c[i] = (t[i] * 0.5 / p.sigma1Squared() + (1 - t[i]) * 0.5 / p.sigma0Squared()) / n;
      }
      coefficients.put(g, c);
    });
    long warmupSteps = (long) config.warmupEpochs() * stepsPerEpoch;
    carried.advance((int) steps, coefficients, config.optimizer(),
        step -> config.optimizer().learningRateAt(step, totalSteps), carriedAt,
        Math.max(0, carriedAt - warmupSteps), n);
    carriedAt = globalStep;
    graph.setCarriedNorms(carried.squaredNorms());
  }

  /**
   * At a pruning check of the pruning phase: decays the carried norms and lets the budget
   * controller set the strength from the expected complexity.
   */
  private void steer(Map<String, float[]> theta, long globalStep) {
    decayCarried(theta, globalStep);
    if (controller != null) {
      updateStrength(theta, globalStep);
    }
  }

  /** Lets the budget controller set the strength from the expected complexity under theta. */
  private void updateStrength(Map<String, float[]> theta, long globalStep) {
    long warmupSteps = (long) config.warmupEpochs() * stepsPerEpoch;
    long pruningSteps = (long) config.pruningEpochs() * stepsPerEpoch - warmupSteps;
    double progress = Math.min(1, Math.max(0,
        (globalStep - warmupSteps) / (double) Math.max(1, pruningSteps)));
    graph.setStrength(controller.update(progress, report.expectedMacsFraction(theta),
        report.expectedParamsFraction(theta)));
  }

  /** Runs the schedule from the start state on {@code train}, evaluating on {@code test}. */
  Outcome execute(TrainingData train, TrainingData test) {
    load();
    TrainingState.Progress p = start.progress();
    stepsPerEpoch = train.size() / config.batchSize();
    totalSteps = (long) stepsPerEpoch * config.epochs();
    int b = config.batchSize();
    float[] x = new float[b * graph.input().fedFeatures(train)];
    float[] y = new float[b * train.numClasses()];
    int[] idx = new int[b];
    long[] xShape = graph.input().shape(b);
    List<EpochStats> history = new ArrayList<>(p.history());
    double binaryAtEndOfPruning = p.binaryAtEndOfPruning();
    boolean finetuneStarted = p.finetuneStarted();
    double trainSeconds = p.trainSeconds();
    long globalStep = p.globalStep();
    int firstStep = p.step();
    // a resumed run takes the rebuild decision its first run took right before saving
    if (pruning.rebuildDue(config.rebuildThreshold())) {
      return new Outcome(start, true);
    }
    // streamed data has no random access: it takes up the run where the trainer does
    train.position((long) (p.epoch() - 1) * stepsPerEpoch + firstStep);
    boolean landingNear = false; // a budget's structure read within NEAR_MARGIN of it
    for (int epoch = p.epoch(); epoch <= config.epochs(); epoch++, firstStep = 0) {
      boolean finetunePhase = gated && epoch > config.pruningEpochs();
      // a budget run whose structure reached its target fine-tunes from there on
      boolean finetune = finetunePhase || (gated && finetuneStarted);
      boolean finetuneAtStart = finetune; // the epoch a budget is reached in reports pruning
      if (finetune && !finetuneStarted) {
        binaryAtEndOfPruning = report.binaryOfAll(graph.readThetas());
        pruning.roundTheta();
        finetuneStarted = true;
        graph.refreshCaches();
        listener.onFinetuneStart(epoch, binaryAtEndOfPruning);
        if (pruning.rebuildDue(0)) {
          // the rounded-off structures never come back: fine-tune the smaller graph
          return new Outcome(snapshot(new TrainingState.Progress(epoch, 0, globalStep, true,
              binaryAtEndOfPruning, trainSeconds, 0, 0, 0, 0, p.rebuilds(),
              ImmutableList.copyOf(history), false)), true);
        }
      }
      boolean warmup = gated && epoch <= config.warmupEpochs();
      Op step = graph.step(finetune, warmup);
      Operand<TFloat32> objective = graph.objective(finetune, warmup);
      // fine-tuning fetches its own data loss: the sampled pass must not run alongside it
      Operand<TFloat32> dataLoss = graph.dataLoss(finetune, warmup);
      int[] order = EpochOrder.of(train.size(), config.seed(), epoch);
      boolean resumed = firstStep > 0;
      double lossSum = resumed ? p.lossSum() : 0;
      double objSum = resumed ? p.objectiveSum() : 0;
      int objCount = resumed ? p.objectiveCount() : 0;
      double secondsBefore = resumed ? p.epochSeconds() : 0;
      double windowLoss = 0;
      double windowObj = 0;
      int windowObjCount = 0;
      int window = 0;
      long t0 = System.nanoTime();
      for (int s = firstStep; s < stepsPerEpoch; s++) {
        if (gated && globalStep % config.normRefreshEvery() == 0) {
          graph.refreshCaches();
        }
        System.arraycopy(order, s * b, idx, 0, b);
        graph.input().fill(train, idx, x, y);
        float lr = (float) config.learningRateAt(finetunePhase, globalStep, totalSteps,
            stepsPerEpoch);
        // the full objective is only a report: fetch it every OBJECTIVE_EVERY steps, so the
        // other steps skip the ops that only compute its value
        boolean withObjective = (s + 1) % OBJECTIVE_EVERY == 0 || s + 1 == stepsPerEpoch;
        float[] values = runStep(step, dataLoss, withObjective ? objective : null, x, y, xShape,
            lr, globalStep, gated && !finetune);
        globalStep++;
        if (!Float.isFinite(values[0]) || (withObjective && !Float.isFinite(values[1]))) {
          throw new TrainingDivergedException(String.format(
              "the training objective became %s at epoch %d, step %d (cross-entropy %s) with "
                  + "learning rate %.3g: lower the weight learning rate or the strength, and "
                  + "check the input data for NaN or unscaled values", values[1], epoch, s + 1,
              values[0], lr));
        }
        lossSum += values[0];
        windowLoss += values[0];
        window++;
        if (withObjective) {
          objSum += values[1];
          objCount++;
          windowObj += values[1];
          windowObjCount++;
        }
        boolean lastStep = s + 1 == stepsPerEpoch;
        boolean pruneCheck = (s + 1) % config.pruneCheckEvery() == 0 || lastStep;
        if (!pruneCheck && controller != null && !finetune && epoch > config.warmupEpochs()
            && (s + 1) % BudgetController.UPDATE_EVERY == 0) {
          updateStrength(graph.readThetas(), globalStep);
        }
        if (controller != null && !finetune && epoch > config.warmupEpochs()
            && (pruneCheck || landingNear || (s + 1) % BudgetController.UPDATE_EVERY == 0)) {
          Map<String, float[]> theta = graph.readThetas();
          Map<String, float[]> kept = pruning.keptTheta(theta);
          double macs = report.macsFraction(kept);
          double params = report.paramsFraction(kept);
          // near the target the structure is read at every step: many gates can cross 0.5
          // between two readings twenty steps apart
          landingNear = config.budget().metBy(macs, params, NEAR_MARGIN);
          if (config.budget().metBy(macs, params, LANDING_MARGIN)) {
            // the structure that meets the budget is kept: theta rounded, gates deterministic
            binaryAtEndOfPruning = report.binaryOfAll(theta);
            pruning.roundTheta();
            finetuneStarted = true;
            finetune = true;
            graph.refreshCaches();
            Map<String, float[]> rounded = graph.readThetas();
            listener.onBudgetReached(epoch, s + 1, report.macsFraction(rounded),
                report.paramsFraction(rounded));
            step = graph.step(true, false);
            objective = graph.objective(true, false);
            dataLoss = graph.dataLoss(true, false);
          }
        }
        if (pruneCheck) {
          Map<String, float[]> theta = gated ? graph.readThetas() : Map.of();
          if (gated && !finetune && !theta.isEmpty()) {
            if (epoch > config.warmupEpochs()) {
              steer(theta, globalStep);
            }
            pruning.apply(theta);
          }
          listener.onStep(new StepProgress(epoch, config.epochs(), s + 1, stepsPerEpoch,
              windowLoss / window, windowObj / Math.max(1, windowObjCount),
              report.liveWidths(theta), report.macsFraction(theta), pruning.frozen()));
          windowLoss = 0;
          windowObj = 0;
          windowObjCount = 0;
          window = 0;
        }
        boolean saveNow = checkpoints.savesAfterStep(globalStep) && !lastStep;
        boolean rebuildNow = !lastStep && !finetune
            && (s + 1) % config.pruneCheckEvery() == 0
            && pruning.rebuildDue(config.rebuildThreshold());
        if (saveNow || rebuildNow) {
          double elapsed = secondsBefore + (System.nanoTime() - t0) / 1e9;
          TrainingState here = snapshot(new TrainingState.Progress(epoch, s + 1, globalStep,
              finetuneStarted, binaryAtEndOfPruning, trainSeconds + elapsed - secondsBefore,
              lossSum, objSum, objCount, elapsed, p.rebuilds(), ImmutableList.copyOf(history),
              false));
          if (saveNow) {
            checkpoints.save(here);
          }
          if (rebuildNow) {
            return new Outcome(here, true);
          }
        }
      }
      double seconds = secondsBefore + (System.nanoTime() - t0) / 1e9;
      trainSeconds += seconds - secondsBefore;
      Map<String, float[]> theta = gated ? graph.readThetas() : Map.of();
      EpochStats stats = new EpochStats(epoch, !gated ? "dense" : finetuneAtStart ? "finetune"
          : "prune", lossSum / stepsPerEpoch, objSum / Math.max(1, objCount),
          graph.accuracy(test, config.evalBatchSize()), report.liveWidths(theta),
          report.macsFraction(theta), report.paramsFraction(theta),
          gated ? report.binaryOfAll(theta) : 1.0, pruning.frozen(), seconds,
          start.structure().trainingMacs(), gated && !finetuneAtStart ? strength() : 0);
      history.add(stats);
      listener.onEpoch(stats);
      listener.onEpochThetas(epoch, gated ? report.thetaOfAll(theta) : Map.of());
      boolean last = epoch == config.epochs();
      if (last && gated && config.finetuneEpochs() == 0) {
        binaryAtEndOfPruning = report.binaryOfAll(theta);
      }
      TrainingState.Progress next = new TrainingState.Progress(epoch + 1, 0, globalStep,
          finetuneStarted, binaryAtEndOfPruning, trainSeconds, 0, 0, 0, 0, p.rebuilds(),
          ImmutableList.copyOf(history), last);
      // an epoch in which the budget was reached ends with a rebuild without what it closed
      boolean rebuildNow = !last && (finetune && !finetuneAtStart ? pruning.rebuildDue(0)
          : !finetune && pruning.rebuildDue(config.rebuildThreshold()));
      boolean saveNow = checkpoints.savesAtEpochEnd(last);
      if (saveNow || rebuildNow || last) {
        TrainingState here = snapshot(next);
        if (saveNow) {
          checkpoints.save(here);
        }
        if (rebuildNow || last) {
          return new Outcome(here, rebuildNow);
        }
      }
    }
    throw new IllegalStateException("training ended without a final state");
  }

  /**
   * One step on the batch {@code x}, {@code y}: returns the data loss and the objective (NaN
   * when {@code objective} is null, not fetched).
   */
  private float[] runStep(Op step, Operand<TFloat32> dataLoss, Operand<TFloat32> objective,
      float[] x, float[] y, long[] xShape, float lr, long globalStep, boolean sampled) {
    int b = config.batchSize();
    try (TFloat32 xt = TFloat32.tensorOf(Shape.of(xShape), DataBuffers.of(x, true, false));
        TFloat32 yt = TFloat32.tensorOf(Shape.of(b, y.length / b),
            DataBuffers.of(y, true, false));
        TFloat32 lrt = TFloat32.scalarOf(lr);
        GateDraws draws = sampled ? graph.gateDraws().next(globalStep, b) : GateDraws.NONE) {
      Session.Runner runner = graph.session().runner().feed(graph.net().input(), xt)
          .feed(graph.labels(), yt).feed(graph.learningRate(), lrt).addTarget(step)
          .fetch(dataLoss);
      draws.feedInto(runner);
      if (objective != null) {
        runner.fetch(objective);
      }
      boolean profile = globalStep == StepProfile.STEP;
      if (profile) {
        runner.setOptions(StepProfile.options());
      }
      try (Result r = profile ? runner.runAndFetchMetadata() : runner.run()) {
        float[] values = {((TFloat32) r.get(0)).getFloat(),
            objective != null ? ((TFloat32) r.get(1)).getFloat() : Float.NaN};
        if (profile) {
          StepProfile.print(r.getMetadata().orElseThrow(), gated ? "gated" : "dense",
              System.err);
        }
        return values;
      }
    }
  }
}
