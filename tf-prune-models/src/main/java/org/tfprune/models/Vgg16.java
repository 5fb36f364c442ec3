package org.tfprune.models;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.List;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.Conv2DLayer;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.GlobalAvgPoolLayer;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.LayerSpec;
import org.tfprune.spec.Padding;
import org.tfprune.spec.PoolLayer;
import com.google.common.collect.ImmutableList;

/**
 * VGG-16, the CIFAR variant with batch norm: 13 gated 3x3 conv + BN + ReLU layers
 * (64-64-M-128-128-M-256x3-M-512x3-M-512x3-M, 2x2 max pooling with SAME padding so 28x28 inputs
 * fit too), global average pooling and a linear classifier.
 */
public final class Vgg16 {
  private static final int[] CONFIG = {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0,
      512, 512, 512, 0};

  private Vgg16() {}

  public static ArchitectureSpec create(int height, int width, int channels, int classes,
      double widthMultiplier) {
    checkArgument(widthMultiplier > 0 && widthMultiplier <= 4,
        "width multiplier must be in (0, 4], got %s", widthMultiplier);
    List<LayerSpec> layers = new ArrayList<>();
    int conv = 0;
    int pool = 0;
    for (int c : CONFIG) {
      if (c == 0) {
        layers.add(new PoolLayer("pool" + pool++, PoolLayer.Kind.MAX, 2, 2, Padding.SAME));
      } else {
        layers.add(Conv2DLayer.bnRelu("conv" + conv++,
            Math.max(1, (int) Math.round(c * widthMultiplier)), 1));
      }
    }
    layers.add(new GlobalAvgPoolLayer("gap"));
    layers.add(DenseLayer.logits("output", classes));
    return new ArchitectureSpec(widthMultiplier == 1.0 ? "vgg-16" : "vgg-16-x" + widthMultiplier,
        InputSpec.of(height, width, channels), ImmutableList.copyOf(layers));
  }
}
