package org.tfprune.train;

/** Receives progress from a {@link PruningTrainer}; every method has an empty default. */
public interface TrainingListener {
  default void onStep(StepProgress progress) {}

  default void onEpoch(EpochStats stats) {}

  /**
   * Called after {@link #onEpoch} with the effective gate probabilities ({@code theta * mask}) of
   * every gate group at the end of the epoch, e.g. to trace theta trajectories; empty for an
   * ungated run. The arrays are the listener's to keep.
   */
  default void onEpochThetas(int epoch, java.util.Map<String, float[]> theta) {}

  /** Called once when the fine-tuning phase starts (theta is rounded then). */
  default void onFinetuneStart(int epoch, double binaryFractionBeforeRounding) {}

  /**
   * Called when a budget run's structure reached its target during the pruning phase (theta is
   * rounded then and the weights are fine-tuned from the next step on), with the MACs and
   * parameter fractions of the structure kept.
   */
  default void onBudgetReached(int epoch, int step, double macsFraction,
      double paramsFraction) {}

  /** Called when a run continues from a checkpoint, before its first step. */
  default void onResume(int epoch, int step, long globalStep) {}

  /**
   * Called when the training graph was rebuilt without the frozen structures.
   *
   * @param macsBefore MACs per example of the graph trained until now
   * @param macsAfter MACs per example of the rebuilt graph
   */
  default void onRebuild(int epoch, int step, double macsBefore, double macsAfter) {}

  TrainingListener NONE = new TrainingListener() {};
}
