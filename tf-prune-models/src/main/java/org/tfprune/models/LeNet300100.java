package org.tfprune.models;

import static com.google.common.base.Preconditions.checkArgument;

import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.InputSpec;

/**
 * LeNet-300-100 (LeCun et al. 1998): a 784-300-100-10 ReLU MLP for 28x28 grey images, with gates
 * on the input pixels and on both hidden layers. A width multiplier scales the hidden layers
 * (2 gives 600-200, 4 gives 1200-400) for robustness studies.
 */
public final class LeNet300100 {
  private LeNet300100() {}

  /** The standard 784-300-100-10 network with input and unit gates. */
  public static ArchitectureSpec create() {
    return create(28 * 28, 10, 1.0, true);
  }

  /**
   * @param features input features per example (784 for MNIST)
   * @param classes number of classes
   * @param widthMultiplier scales the hidden widths 300 and 100
   * @param inputGates whether the input features carry gates
   */
  public static ArchitectureSpec create(int features, int classes, double widthMultiplier,
      boolean inputGates) {
    checkArgument(widthMultiplier > 0 && widthMultiplier <= 64,
        "width multiplier must be in (0, 64], got %s", widthMultiplier);
    int h1 = Math.max(1, (int) Math.round(300 * widthMultiplier));
    int h2 = Math.max(1, (int) Math.round(100 * widthMultiplier));
    String name = widthMultiplier == 1.0 ? "lenet-300-100" : "lenet-" + h1 + "-" + h2;
    return ArchitectureSpec.of(name, InputSpec.flat(features, inputGates),
        DenseLayer.gatedRelu("dense0", h1), DenseLayer.gatedRelu("dense1", h2),
        DenseLayer.logits("output", classes));
  }
}
