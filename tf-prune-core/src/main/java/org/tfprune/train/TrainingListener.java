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

  TrainingListener NONE = new TrainingListener() {};
}
