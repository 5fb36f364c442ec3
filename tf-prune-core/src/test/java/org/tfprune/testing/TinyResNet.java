package org.tfprune.testing;

import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.Conv2DLayer;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.GlobalAvgPoolLayer;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.ResidualBlock;

/** A small residual network for MNIST-sized inputs: two stages, identity and projection blocks. */
public final class TinyResNet {
  private TinyResNet() {}

  /** Stem (8 filters, stride 2) + two identity blocks; a projection block to 16 + one identity. */
  public static ArchitectureSpec plain() {
    return ArchitectureSpec.of("tiny-resnet", InputSpec.of(28, 28, 1),
        Conv2DLayer.bnRelu("stem", 8, 2).withGated(false),
        ResidualBlock.basic("s1b0", 8, 8, 1, true, true),
        ResidualBlock.basic("s1b1", 8, 8, 1, true, true),
        ResidualBlock.basic("s2b0", 8, 16, 2, true, true),
        ResidualBlock.basic("s2b1", 16, 16, 1, true, true),
        new GlobalAvgPoolLayer("gap"), DenseLayer.logits("output", 10));
  }

  /** {@link #plain} with coupled stream channels: {@code stream1} (8), {@code stream2} (16). */
  public static ArchitectureSpec coupled() {
    return plain().withCoupledStreamChannels();
  }
}
