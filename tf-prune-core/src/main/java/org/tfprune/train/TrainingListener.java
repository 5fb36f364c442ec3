package org.tfprune.train;

/** Receives progress from a {@link PruningTrainer}; every method has an empty default. */
public interface TrainingListener {
  default void onStep(StepProgress progress) {}

  default void onEpoch(EpochStats stats) {}

  /** Called once when the fine-tuning phase starts (theta is rounded then). */
  default void onFinetuneStart(int epoch, double binaryFractionBeforeRounding) {}

  TrainingListener NONE = new TrainingListener() {};
}
