package org.tfprune.train;

import java.nio.file.Files;

/**
 * Checkpoint and resume of one run: where it starts (the saved state, when asked to resume one,
 * or the fresh state) and when and where its state is saved on the way.
 */
final class RunCheckpoints implements AutoCloseable {
  private final CheckpointPolicy policy;
  private final Checkpoint.RunKey key;
  private final CheckpointWriter writer;

  /** Checkpoints of {@code config}'s run on {@code trainingExamples} from {@code fresh}. */
  RunCheckpoints(TrainerConfig config, TrainingState fresh, long trainingExamples) {
    this.policy = config.checkpoint();
    this.key = Checkpoint.RunKey.of(fresh.initialSpec(), config, trainingExamples);
    this.writer = policy == null ? null : new CheckpointWriter(policy, key);
  }

  /** Checkpoints that are never written (e.g. to round-trip a state through a graph). */
  static RunCheckpoints none(TrainerConfig config, TrainingState fresh, long trainingExamples) {
    return new RunCheckpoints(config.toBuilder().checkpoint(null).build(), fresh,
        trainingExamples);
  }

  /**
   * The state the run starts from: the saved one when the policy resumes and its file exists
   * (reported to {@code listener}), otherwise {@code fresh}.
   */
  TrainingState startFrom(TrainingState fresh, TrainingListener listener) {
    if (policy == null || !policy.resume() || !Files.exists(policy.file())) {
      return fresh;
    }
    TrainingState state = Checkpoint.read(policy.file(), key, fresh.initialSpec());
    TrainingState.Progress p = state.progress();
    listener.onResume(p.epoch(), p.step(), p.globalStep());
    return state;
  }

  /** Whether a state is saved after the global step {@code globalStep} inside an epoch. */
  boolean savesAfterStep(long globalStep) {
    return policy != null && policy.everySteps() > 0 && globalStep % policy.everySteps() == 0;
  }

  /** Whether a state is saved at the end of an epoch ({@code last}: of the run). */
  boolean savesAtEpochEnd(boolean last) {
    return policy != null && (last || policy.everySteps() == 0);
  }

  /** Saves {@code state} in the background. */
  void save(TrainingState state) {
    if (writer != null) {
      writer.submit(state);
    }
  }

  /** Waits for the last save. */
  @Override
  public void close() {
    if (writer != null) {
      writer.close();
    }
  }
}
