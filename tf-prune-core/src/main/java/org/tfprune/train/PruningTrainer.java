package org.tfprune.train;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Map;
import org.tfprune.build.ParameterInitializer;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;

/**
 * Trains a network and prunes it at the same time. The loop is fixed: sample gates, take one step
 * on the complexity-aware objective (the configured optimizer on the weights, projected SGD on
 * theta), and every {@code pruneCheckEvery} steps apply the {@link PruningCondition} and freeze
 * what it prunes. An optional last phase trains only the weights with deterministic gates. With
 * {@code gated = false} the same trainer produces the dense baseline.
 *
 * <p>A run starts from a fresh or saved state ({@link RunCheckpoints}), builds the training graph
 * of the state's structure ({@link TrainingGraph}), runs the schedule on it ({@link
 * TrainingSchedule}) until the run ends or the frozen structures are worth a rebuild, then
 * continues on the graph rebuilt without them ({@link TrainingState#withoutFrozen}).
 */
public final class PruningTrainer {
  private final TrainerConfig config;
  private final TrainingListener listener;

  public PruningTrainer(TrainerConfig config, TrainingListener listener) {
    this.config = config;
    this.listener = listener == null ? TrainingListener.NONE : listener;
  }

  /** Trains {@code spec} from freshly initialized parameters (seeded). */
  public TrainingResult train(ArchitectureSpec spec, TrainingData train, TrainingData test) {
    ArchitectureSpec s = config.gated() ? spec : spec.withoutGates();
    return train(s, ParameterInitializer.initialize(s, config.seed(), config.thetaInit()), train,
        test);
  }

  /**
   * Trains {@code spec} starting from {@code initial} parameters. With a {@link CheckpointPolicy}
   * whose file exists and {@code resume} set, continues the saved run instead (a finished one
   * returns its result at once).
   */
  public TrainingResult train(ArchitectureSpec spec, ParameterSet initial, TrainingData train,
      TrainingData test) {
    checkData(spec, train, "training");
    checkData(spec, test, "evaluation");
    checkArgument(train.size() >= config.batchSize(),
        "the training set has %s examples, fewer than one batch of %s: lower --batch-size",
        train.size(), config.batchSize());
    checkArgument(!config.gated() || spec.hasGates(),
        "spec %s has no gates; build it with gated layers or train with gated = false",
        spec.name());
    if (config.gated()) {
      config.budget().checkFeasible(spec);
    }
    TrainingState fresh = TrainingState.start(spec, initial, config.gated());
    try (RunCheckpoints checkpoints = new RunCheckpoints(config, fresh, train.size())) {
      TrainingState state = checkpoints.startFrom(fresh, listener);
      while (!state.progress().complete()) {
        TrainingSchedule.Outcome outcome;
        try (TrainingGraph graph = TrainingGraph.of(config, state, train.size())) {
          outcome = new TrainingSchedule(config, listener, graph, state, checkpoints)
              .execute(train, test);
        }
        state = outcome.state();
        if (outcome.rebuild()) {
          double before = state.structure().trainingMacs();
          state = state.withoutFrozen();
          TrainingState.Progress p = state.progress();
          listener.onRebuild(p.epoch(), p.step(), before, state.structure().trainingMacs());
        }
      }
      return ProgressReport.result(state, config.gated());
    }
  }

  /**
   * Loads {@code state} into a fresh training graph and reads it straight back: what a rebuild or
   * a resume starts from (for tests).
   */
  TrainingState roundTrip(TrainingState state, TrainingData train, TrainingData test) {
    try (TrainingGraph graph = TrainingGraph.of(config, state, train.size())) {
      TrainingSchedule schedule = new TrainingSchedule(config, listener, graph, state,
          RunCheckpoints.none(config, state, train.size()));
      schedule.load();
      return schedule.snapshot(state.progress());
    }
  }

  /** Fraction of gate probabilities within 0.01 of 0 or 1. */
  public static double binaryFraction(Map<String, float[]> theta) {
    return ProgressReport.binaryFraction(theta);
  }

  private static void checkData(ArchitectureSpec spec, TrainingData data, String role) {
    checkArgument(data.size() > 0, "the %s set is empty", role);
    checkArgument(data.featureSize() == spec.input().size(),
        "the %s data has %s values per example but network %s expects input shape %s (%s "
            + "values): pick the model that matches the data set", role, data.featureSize(),
        spec.name(), spec.input().shape(), spec.input().size());
    checkArgument(data.numClasses() == spec.numClasses(),
        "the %s data has %s classes but network %s has %s outputs", role, data.numClasses(),
        spec.name(), spec.numClasses());
  }
}
