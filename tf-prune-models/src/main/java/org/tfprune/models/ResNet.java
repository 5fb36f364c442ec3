package org.tfprune.models;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import java.util.ArrayList;
import java.util.List;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.Conv2DLayer;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.GlobalAvgPoolLayer;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.LayerSpec;
import org.tfprune.spec.ResidualBlock;

/**
 * The CIFAR ResNets of He et al. (ResNet-20/32/56/110, depth {@code 6n + 2}): a 3x3 conv + BN +
 * ReLU stem with 16 channels, three stages of {@code n} basic blocks with 16, 32 and 64 channels
 * (stride 2 and a projection shortcut at the start of stages 2 and 3), global average pooling and
 * a linear classifier. Every block carries a block gate and gates on its inner filters; the
 * residual stream is not gated, unless {@code coupledStreamChannels} couples each stage's stream
 * channels (the stem's or the projection's filters and every block's output channels) under one
 * shared gate vector per stage ({@link org.tfprune.spec.StreamGroup}), so that they are pruned
 * too.
 */
public final class ResNet {
  private ResNet() {}

  /** The ResNet with ungated stream channels (the default). */
  public static ArchitectureSpec create(int depth, int height, int width, int channels,
      int classes, double widthMultiplier) {
    return create(depth, height, width, channels, classes, widthMultiplier, false);
  }

  /**
   * The ResNet of {@code depth}; with {@code coupledStreamChannels} one gate group per stage
   * ({@code stream1..3}) gates the residual stream's channels.
   */
  public static ArchitectureSpec create(int depth, int height, int width, int channels,
      int classes, double widthMultiplier, boolean coupledStreamChannels) {
    checkArgument(depth >= 8 && (depth - 2) % 6 == 0,
        "ResNet depth must be 6n + 2 (20, 32, 56, 110, ...), got %s", depth);
    checkArgument(widthMultiplier > 0 && widthMultiplier <= 8,
        "width multiplier must be in (0, 8], got %s", widthMultiplier);
    int n = (depth - 2) / 6;
    List<LayerSpec> layers = new ArrayList<>();
    int stem = Math.max(1, (int) Math.round(16 * widthMultiplier));
    layers.add(Conv2DLayer.bnRelu("stem", stem, 1).withGated(false));
    int in = stem;
    for (int stage = 0; stage < 3; stage++) {
      int filters = Math.max(1, (int) Math.round((16 << stage) * widthMultiplier));
      for (int b = 0; b < n; b++) {
        int stride = stage > 0 && b == 0 ? 2 : 1;
        layers.add(ResidualBlock.basic("s" + (stage + 1) + "b" + b, in, filters, stride, true,
            true));
        in = filters;
      }
    }
    layers.add(new GlobalAvgPoolLayer("gap"));
    layers.add(DenseLayer.logits("output", classes));
    String name = "resnet-" + depth + (widthMultiplier == 1.0 ? "" : "-x" + widthMultiplier);
    ArchitectureSpec spec = new ArchitectureSpec(name, InputSpec.of(height, width, channels),
        ImmutableList.copyOf(layers));
    return coupledStreamChannels ? spec.withCoupledStreamChannels() : spec;
  }
}
