package org.tfprune.spec;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

/**
 * A residual basic block {@code y = act(shortcut(x) + xi_B * F(x))} with
 * {@code F = bn(conv2(gates(act1(bn(conv1(x))))))}; {@code act} is ReLU in the classic block,
 * the identity in pre-activation ResNets and MobileNetV2's linear bottlenecks. When {@link
 * #gated()} the whole branch is multiplied by one block gate {@code xi_B}: a closed gate turns
 * the block into its shortcut (an identity shortcut: the block disappears, exactly so when its
 * input is {@code act}'s fixed point, e.g. a ReLU block after ReLU; a projection: only the 1x1
 * conv + BN stays, with {@code act}).
 * {@code conv1}'s filters may carry their own gates; the output channels (the residual stream)
 * are not gated, unless the spec couples them across the stage in a {@link StreamGroup}.
 * MobileNetV2's inverted residual block has a {@code depthwise} conv between {@code conv1} (the
 * 1x1 expansion) and {@code conv2} (the linear 1x1 projection): its channel {@code c} reads
 * {@code conv1}'s filter {@code c} alone, so it is gated by, and removed with, that filter.
 * ResNet's bottleneck block has a regular {@code middle} conv there instead (1x1 -> 3x3 -> 1x1):
 * its filters carry gates of their own (a gate group named after it), its input channels are
 * {@code conv1}'s filters. Keras's ResNetV2 subsamples the identity shortcut of a strided block
 * ({@code MaxPooling2D(1, strides)}): {@code shortcutStride} is that stride.
 *
 * @param shortcut the projection (1x1 conv + BN), or null for the identity
 * @param activation applied to the sum of the shortcut and the branch
 * @param preActivation batch norm and activation on the block's input before {@code conv1} and
 *     a projection shortcut (a pre-activation block), or null
 * @param depthwise a depthwise conv with {@code conv1}'s filters between {@code conv1} and
 *     {@code conv2} (an inverted residual block), or null
 * @param middle a regular conv between {@code conv1} and {@code conv2} (a bottleneck block), or
 *     null; its filters are gated when {@code conv1}'s are
 * @param shortcutStride the stride that subsamples an identity shortcut ({@code x[:, ::s, ::s]}),
 *     1 for none; a block with a projection has 1
 * @param middlePad zero padding on every side of the middle conv's input (Keras's ResNetV2 pads
 *     explicitly before a VALID 3x3 conv), 0 for none
 */
public record ResidualBlock(String name, Conv2DLayer conv1, Conv2DLayer conv2,
    Conv2DLayer shortcut, boolean gated, Activation activation, PreActivation preActivation,
    Conv2DLayer depthwise, Conv2DLayer middle, int shortcutStride, int middlePad)
    implements LayerSpec {

  public ResidualBlock {
    LayerSpec.checkName(name);
    checkNotNull(conv1, "conv1 of block %s", name);
    checkNotNull(conv2, "conv2 of block %s", name);
    checkNotNull(activation, "activation after the addition of block %s", name);
    checkArgument(!(gated && preActivation != null && shortcut != null), "block %s: a "
        + "pre-activation block with a projection shortcut cannot carry a block gate (without "
        + "its branch the projection still reads the pre-activated input)", name);
    checkArgument(!conv1.depthwise() && !conv2.depthwise()
        && (shortcut == null || !shortcut.depthwise()), "block %s: tf-prune's residual blocks "
        + "hold depthwise convolutions only between conv1 and conv2", name);
    checkArgument(depthwise == null || (depthwise.depthwise() && !depthwise.gated()
        && depthwise.filters() == conv1.filters()), "block %s: the conv between conv1 and conv2 "
        + "must be an ungated depthwise conv with conv1's %s filters", name, conv1.filters());
    checkArgument(middle == null || (!middle.depthwise() && depthwise == null
        && middle.gated() == conv1.gated()), "block %s: the middle conv must be a regular conv, "
        + "not beside a depthwise one, gated exactly when conv1 is", name);
    checkArgument(shortcutStride >= 1 && (shortcutStride == 1 || (shortcut == null && !gated
        && shortcutStride == branchStride(conv1, depthwise, middle))), "block %s: a subsampled "
        + "identity shortcut needs the branch's stride and no block gate, got stride %s", name,
        shortcutStride);
    checkArgument(middlePad == 0 || (middlePad > 0 && middle != null), "block %s: only a middle "
        + "conv reads a padded input, got padding %s", name, middlePad);
    checkArgument(conv2.activation() == Activation.IDENTITY && !conv2.gated()
        && conv2.stride() == 1, "block %s: conv2 must be an ungated stride-1 conv without "
        + "activation (the block adds the shortcut, then applies its activation)", name);
    checkArgument(shortcut == null || (shortcut.filters() == conv2.filters()
        && !shortcut.gated() && shortcut.activation() == Activation.IDENTITY
        && shortcut.stride() == branchStride(conv1, depthwise, middle)),
        "block %s: the projection shortcut must be an ungated conv without activation, with "
        + "conv2's filters and the branch's stride", name);
  }

  /** A block whose middle conv, if any, reads its input unpadded. */
  public ResidualBlock(String name, Conv2DLayer conv1, Conv2DLayer conv2, Conv2DLayer shortcut,
      boolean gated, Activation activation, PreActivation preActivation, Conv2DLayer depthwise,
      Conv2DLayer middle, int shortcutStride) {
    this(name, conv1, conv2, shortcut, gated, activation, preActivation, depthwise, middle,
        shortcutStride, 0);
  }

  /** A block without a middle conv and with an unsampled shortcut. */
  public ResidualBlock(String name, Conv2DLayer conv1, Conv2DLayer conv2, Conv2DLayer shortcut,
      boolean gated, Activation activation, PreActivation preActivation, Conv2DLayer depthwise) {
    this(name, conv1, conv2, shortcut, gated, activation, preActivation, depthwise, null, 1);
  }

  private static int branchStride(Conv2DLayer conv1, Conv2DLayer depthwise, Conv2DLayer middle) {
    return conv1.stride() * (depthwise == null ? 1 : depthwise.stride())
        * (middle == null ? 1 : middle.stride());
  }

  /** A block without a depthwise conv in its branch. */
  public ResidualBlock(String name, Conv2DLayer conv1, Conv2DLayer conv2, Conv2DLayer shortcut,
      boolean gated, Activation activation, PreActivation preActivation) {
    this(name, conv1, conv2, shortcut, gated, activation, preActivation, null);
  }

  /** A block without pre-activation. */
  public ResidualBlock(String name, Conv2DLayer conv1, Conv2DLayer conv2, Conv2DLayer shortcut,
      boolean gated, Activation activation) {
    this(name, conv1, conv2, shortcut, gated, activation, null);
  }

  /** A block with ReLU after the addition. */
  public ResidualBlock(String name, Conv2DLayer conv1, Conv2DLayer conv2, Conv2DLayer shortcut,
      boolean gated) {
    this(name, conv1, conv2, shortcut, gated, Activation.RELU, null);
  }

  /**
   * A basic block of two 3x3 conv + BN layers with {@code filters} channels, a projection
   * shortcut when the stride or the channel count changes, a block gate and gated inner filters.
   */
  public static ResidualBlock basic(String name, int inChannels, int filters, int stride,
      boolean blockGate, boolean filterGates) {
    Conv2DLayer c1 = Conv2DLayer.bnRelu(name + "_conv1", filters, stride).withGated(filterGates);
    Conv2DLayer c2 = new Conv2DLayer(name + "_conv2", filters, 3, 1, Padding.SAME, true,
        Activation.IDENTITY, false);
    Conv2DLayer sc = stride != 1 || inChannels != filters
        ? new Conv2DLayer(name + "_shortcut", filters, 1, stride, Padding.SAME, true,
            Activation.IDENTITY, false)
        : null;
    return new ResidualBlock(name, c1, c2, sc, blockGate);
  }

  @Override
  public int width() {
    return conv2.filters();
  }

  /** Channels inside the branch (conv1's filters). */
  public int innerWidth() {
    return conv1.filters();
  }

  /** The channels conv2 reads: the middle conv's filters, else conv1's. */
  public int conv2InputWidth() {
    return middle == null ? conv1.filters() : middle.filters();
  }

  /** The middle conv's output for a block input {@code in}, after any padding of its input. */
  public FeatureMap middleShape(FeatureMap in) {
    checkArgument(middle != null, "block %s has no middle conv", name);
    FeatureMap mid = conv1.outputShape(in);
    return middle.outputShape(new FeatureMap(mid.height() + 2 * middlePad,
        mid.width() + 2 * middlePad, mid.channels()));
  }

  /** The branch's convs in order: conv1, the depthwise or middle conv if any, conv2. */
  public java.util.List<Conv2DLayer> branchConvs() {
    Conv2DLayer between = depthwise != null ? depthwise : middle;
    return between == null ? java.util.List.of(conv1, conv2)
        : java.util.List.of(conv1, between, conv2);
  }

  @Override
  public FeatureMap outputShape(FeatureMap in) {
    FeatureMap mid = conv1.outputShape(in);
    mid = depthwise != null ? depthwise.outputShape(mid)
        : middle != null ? middleShape(in) : mid;
    FeatureMap out = conv2.outputShape(mid);
    if (shortcut == null) {
      FeatureMap id = shortcutStride == 1 ? in : new FeatureMap(Padding.VALID.outputSize(
          in.height(), 1, shortcutStride), Padding.VALID.outputSize(in.width(), 1,
          shortcutStride), in.channels());
      checkArgument(id.channels() == out.channels() && id.height() == out.height()
          && id.width() == out.width(), "block %s has an identity shortcut but maps %s to %s: "
          + "give it a projection shortcut", name, in, out);
    } else {
      checkArgument(shortcut.outputShape(in).equals(out), "block %s: the shortcut gives %s but "
          + "the branch %s", name, shortcut.outputShape(in), out);
    }
    return out;
  }

  /** A copy with {@code width} filters in conv1 and channels in the depthwise conv. */
  public ResidualBlock withInnerWidth(int width) {
    return new ResidualBlock(name, conv1.withWidth(width), conv2, shortcut, gated,
        activation, preActivation, depthwise == null ? null : depthwise.withWidth(width), middle,
        shortcutStride, middlePad);
  }

  /** A copy with {@code width} filters in the middle conv. */
  public ResidualBlock withMiddleWidth(int width) {
    checkArgument(middle != null, "block %s has no middle conv", name);
    return new ResidualBlock(name, conv1, conv2, shortcut, gated, activation, preActivation,
        depthwise, middle.withWidth(width), shortcutStride, middlePad);
  }

  /** A copy with the inner filters (conv1's and the middle conv's) gated or not. */
  public ResidualBlock withFilterGates(boolean g) {
    return new ResidualBlock(name, conv1.withGated(g), conv2, shortcut, gated, activation,
        preActivation, depthwise, middle == null ? null : middle.withGated(g), shortcutStride,
        middlePad);
  }

  /**
   * A copy with {@code width} output channels (conv2's filters and the projection's): the
   * residual stream of a {@link StreamGroup} with dead channels removed. For the inner filters
   * use {@link #withInnerWidth}.
   */
  @Override
  public ResidualBlock withWidth(int width) {
    return new ResidualBlock(name, conv1, conv2.withWidth(width),
        shortcut == null ? null : shortcut.withWidth(width), gated, activation, preActivation,
        depthwise, middle, shortcutStride, middlePad);
  }

  @Override
  public ResidualBlock withGated(boolean g) {
    return new ResidualBlock(name, conv1.withGated(g), conv2, shortcut, g, activation,
        preActivation, depthwise, middle == null ? null : middle.withGated(g), shortcutStride,
        middlePad);
  }

  /**
   * A residual block under a mask: kept with its live inner filters; or, with its gate closed,
   * nothing (identity shortcut) or its projection alone (with the block's activation).
   */
  public java.util.Optional<LayerSpec> compact(KeepMask mask) {
    boolean alive = !gated || mask.flags(name)[0];
    if (!alive) {
      return shortcut == null ? java.util.Optional.empty()
          : java.util.Optional.of(shortcut.withActivation(activation));
    }
    if (!conv1.gated()) {
      return java.util.Optional.of(this);
    }
    int kept = mask.count(conv1.name());
    checkArgument(kept > 0, "keep-mask keeps block '%s' but none of its filters; close the "
        + "block's gate instead (a block without live filters is dead)", name);
    ResidualBlock c = withInnerWidth(kept);
    if (middle != null) {
      int live = mask.count(middle.name());
      checkArgument(live > 0, "keep-mask keeps block '%s' but none of its middle filters; "
          + "close the block's gate instead", name);
      c = c.withMiddleWidth(live);
    }
    return java.util.Optional.of(c);
  }

  /** A short description of what the block is: bottleneck, inverted, or basic. */
  public String form() {
    return middle != null ? "bottleneck" : depthwise != null ? "inverted" : "basic";
  }

  /** As a record's, without the middle conv and shortcut stride when there are none. */
  @Override
  public String toString() {
    return "ResidualBlock[name=" + name + ", conv1=" + conv1 + ", conv2=" + conv2 + ", shortcut="
        + shortcut + ", gated=" + gated + ", activation=" + activation + ", preActivation="
        + preActivation + ", depthwise=" + depthwise + (middle == null ? "" : ", middle="
        + middle) + (shortcutStride == 1 ? "" : ", shortcutStride=" + shortcutStride)
        + (middlePad == 0 ? "" : ", middlePad=" + middlePad) + "]";
  }
}
