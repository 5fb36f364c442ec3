package org.tfprune.spec;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

/**
 * A 2-D convolution with square kernels, followed by either a bias or batch normalization, then
 * the activation; or (Keras's {@code Conv2D(activation=...)} then {@code BatchNormalization}) a
 * bias, the activation, then batch normalization. When {@link #gated()} each filter's output
 * channel is multiplied by its own gate last (after the activation and any batch norm), so a
 * closed gate removes the filter exactly, batch norm's offset included.
 *
 * @param batchNorm batch norm between the conv and the activation, in place of the bias
 * @param batchNormEpsilon the variance epsilon of the batch norm ({@value
 *     #DEFAULT_BATCH_NORM_EPSILON} unless an imported model uses another)
 * @param batchNormAfterActivation batch norm after the activation (the conv keeps its bias);
 *     excludes {@code batchNorm}
 * @param depthwise a depthwise convolution (TensorFlow's {@code DepthwiseConv2dNative} with
 *     channel multiplier 1): output channel {@code c} filters input channel {@code c} alone, so
 *     {@code filters} equals the input channels, the kernel is {@code [k, k, filters, 1]}, and the
 *     layer has no gates of its own: its channel {@code c} exists iff its input channel {@code c}
 *     does, and it is gated by the gates of its input's channels ({@link
 *     ArchitectureSpec#channelGroupOf})
 */
public record Conv2DLayer(String name, int filters, int kernelSize, int stride, Padding padding,
    boolean batchNorm, Activation activation, boolean gated, float batchNormEpsilon,
    boolean batchNormAfterActivation, boolean depthwise) implements LayerSpec {
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
    checkArgument(!(batchNorm && batchNormAfterActivation), "conv layer '%s' has batch norm "
        + "both before and after its activation; tf-prune's conv layers carry one", name);
    checkArgument(!(depthwise && gated), "depthwise conv layer '%s' cannot carry gates of its "
        + "own: the gates of its input channels gate it", name);
  }

  /** A (not depthwise) layer with batch norm before or after the activation. */
  public Conv2DLayer(String name, int filters, int kernelSize, int stride, Padding padding,
      boolean batchNorm, Activation activation, boolean gated, float batchNormEpsilon,
      boolean batchNormAfterActivation) {
    this(name, filters, kernelSize, stride, padding, batchNorm, activation, gated,
        batchNormEpsilon, batchNormAfterActivation, false);
  }

  /** A layer whose batch norm, if any, sits before the activation. */
  public Conv2DLayer(String name, int filters, int kernelSize, int stride, Padding padding,
      boolean batchNorm, Activation activation, boolean gated, float batchNormEpsilon) {
    this(name, filters, kernelSize, stride, padding, batchNorm, activation, gated,
        batchNormEpsilon, false);
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

  /** Whether the layer adds a bias (it does unless batch norm comes before the activation). */
  public boolean hasBias() {
    return !batchNorm;
  }

  /** Whether the layer has batch norm, before or after the activation. */
  public boolean hasBatchNorm() {
    return batchNorm || batchNormAfterActivation;
  }

  @Override
  public int width() {
    return filters;
  }

  @Override
  public FeatureMap outputShape(FeatureMap in) {
    checkArgument(!depthwise || in.channels() == filters, "depthwise conv layer '%s' has %s "
        + "channels but gets %s", name, filters, in.channels());
    return new FeatureMap(padding.outputSize(in.height(), kernelSize, stride),
        padding.outputSize(in.width(), kernelSize, stride), filters);
  }

  @Override
  public Conv2DLayer withWidth(int width) {
    return new Conv2DLayer(name, width, kernelSize, stride, padding, batchNorm, activation, gated,
        batchNormEpsilon, batchNormAfterActivation, depthwise);
  }

  @Override
  public Conv2DLayer withGated(boolean g) {
    return new Conv2DLayer(name, filters, kernelSize, stride, padding, batchNorm, activation, g,
        batchNormEpsilon, batchNormAfterActivation, depthwise);
  }

  public Conv2DLayer withActivation(Activation a) {
    return new Conv2DLayer(name, filters, kernelSize, stride, padding, batchNorm, a, gated,
        batchNormEpsilon, batchNormAfterActivation, depthwise);
  }

  /** Weights of one filter: {@code kernelSize^2 * inputChannels}, {@code kernelSize^2} depthwise. */
  public int fanIn(int inputChannels) {
    return kernelSize * kernelSize * (depthwise ? 1 : inputChannels);
  }
}
