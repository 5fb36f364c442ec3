package org.tfprune.build;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.nn.FusedBatchNorm;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.Conv2DLayer;
import org.tfprune.spec.FeatureMap;
import org.tfprune.spec.PoolLayer;

/**
 * The serving form of a convolution with one input channel and at most {@link #MAX_FILTERS}
 * filters (a first convolution pruned to a single filter), with the pooling layer after it.
 * TensorFlow's CPU {@code Conv2D} gathers every input patch before its matrix product, so with
 * one input channel and one filter it costs about what the same layer with twenty filters costs (LeNet-5's first convolution:
 * 8.3 ms with one filter, 8.1 ms with twenty, batch 256), and max pooling over one channel is
 * slow too. Here the examples become the channels ({@code [N, H, W, 1]} to {@code [1, H, W,
 * N]}, one 2-D transpose), the convolution runs as a {@code DepthwiseConv2dNative} whose kernel
 * is the layer's kernel repeated for every example (a {@code Tile} of the variable; filter
 * {@code m} of example {@code n} is channel {@code n * filters + m}; the kernel vectorises over
 * the channels), bias and activation follow, the pooling runs per channel, and
 * the examples move back. Every example gets the same products and sums as from {@code Conv2D}
 * (in another order: float rounding only, within the export check's bound), and the MACs per
 * example are the layer's ({@code SavedModelInspector} counts the tiled variable's size times
 * the output positions). About 5x faster for that layer and its pooling at batch 256. Batch norm
 * that cannot be folded (after the activation, as Keras's {@code Conv2D(activation=...)} then
 * {@code BatchNormalization}) runs in the same layout.
 */
final class BatchChannelConv {
  /**
   * The most filters this form takes: measured against {@code Conv2D} at batch 256 (28x28
   * input, 5x5 kernel, with 2x2 max pooling), 0.17x its time with one filter, 0.37x with two,
   * 0.67x with four, 1.03x with eight.
   */
  static final int MAX_FILTERS = 4;

  private BatchChannelConv() {}

  /**
   * Whether {@code c}, fed {@code in}, takes this form in a serving graph: a plain convolution
   * (not depthwise; with or without batch norm, before or after the activation) with one input
   * channel and at most {@link #MAX_FILTERS} filters.
   */
  static boolean applies(Conv2DLayer c, FeatureMap in) {
    return !c.depthwise() && in.channels() == 1 && c.filters() <= MAX_FILTERS;
  }

  /**
   * The layer {@code c} (and {@code pool} after it, or null) on {@code x}, {@code [N, H, W, 1]}
   * with {@code in}'s H and W; returns {@code [N, H', W', filters]}, {@code out} the feature
   * map after the last of them.
   *
   * @param batchSize {@code [N]}, the number of examples in {@code x}
   */
  static Operand<TFloat32> apply(Ops s, Function<String, Variable<TFloat32>> variable,
      Conv2DLayer c, PoolLayer pool, FeatureMap in, FeatureMap out, Operand<TFloat32> x,
      Operand<TInt32> batchSize) {
    checkArgument(applies(c, in), "layer %s does not take the batch-as-channels form", c.name());
    Ops cs = s.withSubScope(c.name());
    // [N, H, W, 1] -> [1, H, W, N] by a 2-D transpose (a 4-D one measured slower)
    Operand<TFloat32> xt = cs.reshape(cs.linalg.transpose(
        cs.reshape(x, cs.constant(new int[] {-1, in.positions()})), cs.constant(new int[] {1, 0})),
        cs.constant(new int[] {1, in.height(), in.width(), -1}));
    Operand<TInt32> multiples = cs.concat(List.of(cs.constant(new int[] {1, 1}), batchSize,
        cs.constant(new int[] {1})), cs.constant(0));
    Operand<TFloat32> kernel = cs.withName("kernel_per_example").tile(
        variable.apply(ParameterSet.key(c.name(), ParameterSet.KERNEL)), multiples);
    Operand<TFloat32> y = cs.nn.depthwiseConv2dNative(xt, kernel,
        List.of(1L, (long) c.stride(), (long) c.stride(), 1L), c.padding().name());
    if (c.hasBias()) {
      Operand<TFloat32> bias = variable.apply(ParameterSet.key(c.name(), ParameterSet.BIAS));
      // one filter: its one bias broadcasts over every channel
      y = c.filters() == 1 ? cs.math.add(y, bias) : cs.nn.biasAdd(y, cs.tile(bias, batchSize));
    }
    if (c.batchNorm()) {
      y = batchNorm(cs, variable, c, y, batchSize);
    }
    y = ConvLayerOps.activate(cs, y, c.activation());
    if (c.batchNormAfterActivation()) {
      y = batchNorm(cs, variable, c, y, batchSize);
    }
    Ops last = cs;
    if (pool != null) {
      last = s.withSubScope(pool.name());
      y = ConvLayerOps.pool(last, pool, y);
    }
    // [1, H', W', N * filters] -> [N, H', W', filters]
    if (c.filters() == 1) {
      return last.reshape(last.linalg.transpose(last.reshape(y, last.constant(new int[] {
          out.positions(), -1})), last.constant(new int[] {1, 0})), last.constant(new int[] {-1,
          out.height(), out.width(), 1}));
    }
    return last.linalg.transpose(last.reshape(y, last.constant(new int[] {out.height(),
        out.width(), -1, c.filters()})), last.constant(new int[] {2, 0, 1, 3}));
  }

  /**
   * Inference batch norm of the layer's filters over the examples-as-channels layout: the same
   * {@code FusedBatchNormV3} with its four vectors tiled once per example, so every value is
   * normalised by the same arithmetic as in the layer's own layout.
   */
  private static Operand<TFloat32> batchNorm(Ops cs,
      Function<String, Variable<TFloat32>> variable, Conv2DLayer c, Operand<TFloat32> y,
      Operand<TInt32> batchSize) {
    List<Operand<TFloat32>> v = new ArrayList<>();
    for (String kind : List.of(ParameterSet.GAMMA, ParameterSet.BETA, ParameterSet.MOVING_MEAN,
        ParameterSet.MOVING_VARIANCE)) {
      v.add(cs.tile(variable.apply(ParameterSet.key(c.name(), kind)), batchSize));
    }
    return cs.nn.fusedBatchNorm(y, v.get(0), v.get(1), v.get(2), v.get(3),
        FusedBatchNorm.epsilon(c.batchNormEpsilon()), FusedBatchNorm.isTraining(false)).y();
  }
}
