package org.tfprune.models;

import static com.google.common.base.Preconditions.checkArgument;

import org.tfprune.spec.Activation;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.Conv2DLayer;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.FlattenLayer;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.Padding;
import org.tfprune.spec.PoolLayer;

/**
 * LeNet-5-Caffe (20-50-800-500): two 5x5 convolutions (20 and 50 filters, ReLU, 2x2 max pooling)
 * and a 500-unit dense layer, with gates on every filter and unit. About 2.29 M MACs on 28x28x1.
 */
public final class LeNet5 {
  private LeNet5() {}

  public static ArchitectureSpec create() {
    return create(28, 28, 1, 10, 1.0);
  }

  public static ArchitectureSpec create(int height, int width, int channels, int classes,
      double widthMultiplier) {
    checkArgument(widthMultiplier > 0 && widthMultiplier <= 16,
        "width multiplier must be in (0, 16], got %s", widthMultiplier);
    int c1 = Math.max(1, (int) Math.round(20 * widthMultiplier));
    int c2 = Math.max(1, (int) Math.round(50 * widthMultiplier));
    int d = Math.max(1, (int) Math.round(500 * widthMultiplier));
    return ArchitectureSpec.of(widthMultiplier == 1.0 ? "lenet-5" : "lenet-5-x" + widthMultiplier,
        InputSpec.of(height, width, channels),
        new Conv2DLayer("conv0", c1, 5, 1, Padding.VALID, false, Activation.RELU, true),
        PoolLayer.max2("pool0"),
        new Conv2DLayer("conv1", c2, 5, 1, Padding.VALID, false, Activation.RELU, true),
        PoolLayer.max2("pool1"),
        new FlattenLayer("flatten"),
        DenseLayer.gatedRelu("dense0", d),
        DenseLayer.logits("output", classes));
  }
}
