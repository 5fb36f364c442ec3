package org.tfprune.train;

/**
 * A labelled data set the trainer can draw batches from. Implementations hold the data in
 * memory; the trainer asks for batches by example index.
 */
public interface TrainingData {
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
}
