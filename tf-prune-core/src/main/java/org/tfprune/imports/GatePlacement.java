package org.tfprune.imports;

import java.util.List;
import java.util.Set;
import org.tfprune.spec.Activation;
import org.tfprune.spec.Conv2DLayer;
import org.tfprune.spec.FlattenLayer;
import org.tfprune.spec.GlobalAvgPoolLayer;
import org.tfprune.spec.LayerSpec;
import org.tfprune.spec.PadLayer;
import org.tfprune.spec.PassThroughLayer;
import org.tfprune.spec.PoolLayer;
import org.tfprune.spec.ResidualBlock;

/**
 * Where an imported network may carry gates exactly: which residual blocks may have a block gate
 * and which conv layers' filters may be removed.
 */
final class GatePlacement {
  /** Activations whose outputs are never negative. */
  private static final Set<Activation> NON_NEGATIVE = Set.of(Activation.RELU, Activation.RELU6,
      Activation.SIGMOID);

  private GatePlacement() {}

  /** Whether block {@code i} without its branch computes what its shortcut alone does. */
  static boolean blockGateExact(List<LayerSpec> layers, int i) {
    ResidualBlock b = (ResidualBlock) layers.get(i);
    if (b.shortcutStride() > 1) {
      return false; // its closed branch would leave a subsampling, which no layer maps to here
    }
    if (b.shortcut() != null) {
      return b.preActivation() == null; // else the projection alone would read act0(bn(x))
    }
    if (b.activation() == Activation.IDENTITY) {
      return true;
    }
    return b.activation() == Activation.RELU && nonNegativeInput(layers, i);
  }

  /** Whether layer {@code i}'s input is never negative (the output of a ReLU, ...). */
  static boolean nonNegativeInput(List<LayerSpec> layers, int i) {
    for (int j = i - 1; j >= 0; j--) {
      LayerSpec l = layers.get(j);
      if (l instanceof PoolLayer || l instanceof PadLayer) {
        continue;
      }
      if (l instanceof Conv2DLayer c) {
        return NON_NEGATIVE.contains(c.activation()) && !c.batchNormAfterActivation();
      }
      if (l instanceof ResidualBlock r) {
        return NON_NEGATIVE.contains(r.activation());
      }
      return false;
    }
    return false;
  }

  static boolean feedsUnprunableInput(List<LayerSpec> layers, int i) {
    for (int j = i + 1; j < layers.size(); j++) {
      LayerSpec next = layers.get(j);
      if (next instanceof Conv2DLayer c && c.depthwise()) {
        continue; // it keeps the channels it reads
      }
      if (!(next instanceof PassThroughLayer)) {
        // a pre-activation block normalizes its input: a removed channel's 0 would become
        // act0(bn(0)), which its convs read, so its producer stays ungated too
        return next instanceof ResidualBlock b && (b.shortcut() == null
            || b.preActivation() != null);
      }
      if (next instanceof FlattenLayer || next instanceof GlobalAvgPoolLayer) {
        return false;
      }
    }
    return false;
  }
}
