package org.tfprune.train;

import org.tfprune.data.InMemoryData;

/**
 * A labelled data set the trainer can draw batches from. Implementations hold the data in
 * memory; the trainer asks for batches by example index.
 */
public interface TrainingData {
  /**
   * Data held in arrays (not copied): {@code features} row-major, one row of equal length per
   * entry of {@code labels}, which are class indices in {@code [0, numClasses)}.
   */
  static TrainingData of(float[] features, int[] labels, int numClasses) {
    return InMemoryData.of(features, labels, numClasses);
  }

  /** Number of examples. */
  int size();

  /** Values per example (the product of the network's input shape). */
  int featureSize();

  /** Number of classes (width of the one-hot labels). */
  int numClasses();

  /**
   * Copies the examples {@code indices} into {@code features} ({@code indices.length *
   * featureSize()} values, row-major) and their one-hot labels into {@code oneHot}
   * ({@code indices.length * numClasses()} values).
   */
  void fill(int[] indices, float[] features, float[] oneHot);

  /**
   * Called by the trainer before it draws batch number {@code batch} of the run (counted from 0
   * over all epochs, {@code size() / batchSize} batches an epoch): when it starts, and when it
   * resumes from a checkpoint or after rebuilding its graph. Data that has no random access (a
   * stream) positions itself there, so a resumed run sees the examples of an uninterrupted one.
   * The default does nothing: the trainer asks for examples by index.
   */
  default void position(long batch) {}

  /**
   * As {@link #fill(int[], float[], float[])}, copying only the features {@code selected} of each
   * example ({@code indices.length * selected.length} values): what a network that reads a subset
   * of its input is fed during training. The default gathers from a full copy; implementations
   * override it to copy just the selected values.
   */
  default void fill(int[] indices, int[] selected, float[] features, float[] oneHot) {
    int fs = featureSize();
    float[] full = new float[indices.length * fs];
    fill(indices, full, oneHot);
    for (int i = 0; i < indices.length; i++) {
      for (int j = 0; j < selected.length; j++) {
        features[i * selected.length + j] = full[i * fs + selected[j]];
      }
    }
  }
}
