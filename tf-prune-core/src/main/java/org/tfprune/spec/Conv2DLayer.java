package org.tfprune.spec;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

/**
 * A 2-D convolution with square kernels, followed by either a bias or batch normalization, then
 * the activation. When {@link #gated()} each filter's output channel is multiplied by its own gate
 * after the activation (after BN and ReLU), so a closed gate removes the filter exactly.
 *
 * @param batchNormEpsilon the variance epsilon of the batch norm ({@value
 *     #DEFAULT_BATCH_NORM_EPSILON} unless an imported model uses another)
 */
public record Conv2DLayer(String name, int filters, int kernelSize, int stride, Padding padding,
    boolean batchNorm, Activation activation, boolean gated, float batchNormEpsilon)
    implements LayerSpec {
  /** The batch-norm epsilon of tf-prune's own models (Keras's default). */
  public static final float DEFAULT_BATCH_NORM_EPSILON = 1e-3f;

  public Conv2DLayer {
    LayerSpec.checkName(name);
    checkArgument(filters > 0, "conv layer '%s' needs at least one filter, got %s", name, filters);
    checkArgument(kernelSize > 0 && stride > 0, "conv layer '%s' needs a positive kernel size "
        + "and stride, got %s and %s", name, kernelSize, stride);
    checkNotNull(padding, "padding of %s", name);
    checkNotNull(activation, "activation of %s", name);
    checkArgument(batchNormEpsilon > 0, "conv layer '%s' needs a positive batch-norm epsilon, "
        + "got %s", name, batchNormEpsilon);
  }

  /** A layer with the default batch-norm epsilon. */
  public Conv2DLayer(String name, int filters, int kernelSize, int stride, Padding padding,
      boolean batchNorm, Activation activation, boolean gated) {
    this(name, filters, kernelSize, stride, padding, batchNorm, activation, gated,
        DEFAULT_BATCH_NORM_EPSILON);
  }

  /** A gated 3x3 conv + BN + ReLU with SAME padding, the usual ResNet/VGG layer. */
  public static Conv2DLayer bnRelu(String name, int filters, int stride) {
    return new Conv2DLayer(name, filters, 3, stride, Padding.SAME, true, Activation.RELU, true);
  }

  @Override
  public int width() {
    return filters;
  }

  @Override
  public FeatureMap outputShape(FeatureMap in) {
    return new FeatureMap(padding.outputSize(in.height(), kernelSize, stride),
        padding.outputSize(in.width(), kernelSize, stride), filters);
  }

  @Override
  public Conv2DLayer withWidth(int width) {
    return new Conv2DLayer(name, width, kernelSize, stride, padding, batchNorm, activation, gated,
        batchNormEpsilon);
  }

  @Override
  public Conv2DLayer withGated(boolean g) {
    return new Conv2DLayer(name, filters, kernelSize, stride, padding, batchNorm, activation, g,
        batchNormEpsilon);
  }

  public Conv2DLayer withActivation(Activation a) {
    return new Conv2DLayer(name, filters, kernelSize, stride, padding, batchNorm, a, gated,
        batchNormEpsilon);
  }

  /** Weights of one filter: {@code kernelSize^2 * inputChannels}. */
  public int fanIn(int inputChannels) {
    return kernelSize * kernelSize * inputChannels;
  }
}
