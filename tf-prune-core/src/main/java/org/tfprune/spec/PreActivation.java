package org.tfprune.spec;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

/**
 * The batch norm and activation a pre-activation residual block (ResNet v2) applies to its input
 * before its first conv: {@code activation(bn(x))}, one scale, offset and moving statistics per
 * input channel, held under {@link #name} ({@code name/gamma}, ...). The identity shortcut adds
 * the block's input itself; a projection shortcut reads the pre-activated input.
 */
public record PreActivation(String name, Activation activation, float batchNormEpsilon) {
  public PreActivation {
    LayerSpec.checkName(name);
    checkNotNull(activation, "activation of %s", name);
    checkArgument(batchNormEpsilon > 0, "pre-activation '%s' needs a positive batch-norm "
        + "epsilon, got %s", name, batchNormEpsilon);
  }
}
