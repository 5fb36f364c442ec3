package org.tfprune.examples.experiments;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * How much data and how many epochs a training run gets.
 *
 * @param trainLimit the first N training examples (0 = all)
 * @param testLimit the first N test examples (0 = all)
 * @param epochs total epochs, fine-tuning included
 * @param finetuneEpochs the last epochs, trained with deterministic gates (weights only)
 */
public record TrainingBudget(int trainLimit, int testLimit, int epochs, int finetuneEpochs) {
  public TrainingBudget {
    checkArgument(trainLimit >= 0 && testLimit >= 0, "data limits must be >= 0, got %s and %s",
        trainLimit, testLimit);
    checkArgument(epochs > 0, "epochs must be positive, got %s", epochs);
    checkArgument(finetuneEpochs >= 0 && finetuneEpochs < epochs,
        "fine-tuning epochs must be in [0, %s), got %s", epochs, finetuneEpochs);
  }

  /** The same data with {@code e} epochs, the last quarter fine-tuning (the product's rule). */
  public TrainingBudget withEpochs(int e) {
    return new TrainingBudget(trainLimit, testLimit, e, e / 4);
  }

  /** Epochs in which theta is learned. */
  public int pruningEpochs() {
    return epochs - finetuneEpochs;
  }
}
