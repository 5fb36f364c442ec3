package org.tfprune.build;

import java.util.List;
import java.util.function.Function;
import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.nn.FusedBatchNorm;
import org.tensorflow.types.TFloat32;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.Activation;
import org.tfprune.spec.Conv2DLayer;
import org.tfprune.spec.PoolLayer;
import org.tfprune.spec.PreActivation;

/**
 * The ops of one convolution layer (conv, bias or batch norm, activation; or conv, bias,
 * activation, batch norm) in a network graph.
 */
final class ConvLayerOps {
  private ConvLayerOps() {}

  static Operand<TFloat32> activate(Ops ls, Operand<TFloat32> h, Activation a) {
    return switch (a.kind()) {
      case RELU -> ls.nn.relu(h);
      case RELU6 -> ls.nn.relu6(h);
      case SIGMOID -> ls.math.sigmoid(h);
      case TANH -> ls.math.tanh(h);
      case LEAKY_RELU -> ls.nn.leakyRelu(h, org.tensorflow.op.nn.LeakyRelu.alpha(a.alpha()));
      case IDENTITY -> h;
    };
  }

  /** Max or average pooling of {@code x} as {@code pool} says. */
  static Operand<TFloat32> pool(Ops ls, PoolLayer pool, Operand<TFloat32> x) {
    return pool.kind() == PoolLayer.Kind.MAX
        ? ls.nn.maxPool(x, ls.constant(new int[] {1, pool.size(), pool.size(), 1}),
            ls.constant(new int[] {1, pool.stride(), pool.stride(), 1}), pool.padding().name())
        : ls.nn.avgPool(x, List.of(1L, (long) pool.size(), (long) pool.size(), 1L),
            List.of(1L, (long) pool.stride(), (long) pool.stride(), 1L), pool.padding().name());
  }

  /**
   * An identity shortcut subsampled with {@code stride} ({@code x[:, ::stride, ::stride, :]}, as
   * Keras's {@code MaxPooling2D(1, stride)}); {@code x} itself for stride 1.
   */
  static Operand<TFloat32> subsample(Ops ls, Operand<TFloat32> x, int stride) {
    return stride == 1 ? x : pool(ls.withSubScope("subsample"), new PoolLayer("subsample",
        PoolLayer.Kind.MAX, 1, stride, org.tfprune.spec.Padding.VALID), x);
  }

  /** {@code x} with {@code pad} zeros on every side of its height and width ({@code x} for 0). */
  static Operand<TFloat32> pad(Ops ls, Operand<TFloat32> x, int pad) {
    return pad == 0 ? x : ls.withSubScope("middle_pad").pad(x, ls.constant(new int[][] {{0, 0},
        {pad, pad}, {pad, pad}, {0, 0}}), ls.constant(0f));
  }

  /** Batch-norm momentum of the moving statistics (Keras-like default). */
  static final float BN_MOMENTUM = 0.9f;

  /**
   * conv -> bias or batch norm -> activation, reading the layer's variables through
   * {@code variable}. With {@code batchStatistics}, batch norm normalizes by the batch's
   * statistics and adds the moving averages' updates to {@code updates}; otherwise it normalizes
   * by the moving statistics and leaves them as they are (the serving network's computation,
   * also in a {@code training} pass, which is one that will be differentiated).
   */
  static Operand<TFloat32> conv(Ops s, Function<String, Variable<TFloat32>> variable,
      Conv2DLayer c, Operand<TFloat32> x, boolean training, boolean batchStatistics,
      List<Op> updates) {
    Ops cs = s.withSubScope(c.name());
    Operand<TFloat32> y;
    if (c.depthwise()) {
      y = cs.nn.depthwiseConv2dNative(x, variable.apply(ParameterSet.key(c.name(),
              ParameterSet.KERNEL)), List.of(1L, (long) c.stride(), (long) c.stride(), 1L),
          c.padding().name());
    } else if (training && c.kernelSize() == 1 && c.stride() > 1) {
      // A 1x1 kernel pads nothing under SAME or VALID, so a strided 1x1 convolution equals a
      // unit-stride one on every stride-th pixel. The subsampled form keeps the filter gradient
      // off oneDNN's strided 1x1 backward-weights kernel (TensorFlow 2.16, AVX-512), which
      // corrupts the heap and aborts the JVM (e.g. a 14x14 input with stride 2).
      Operand<TFloat32> sub = cs.withName("subsample").stridedSlice(x,
          cs.constant(new int[] {0, 0, 0, 0}), cs.constant(new int[] {0, 0, 0, 0}),
          cs.constant(new int[] {1, c.stride(), c.stride(), 1}),
          org.tensorflow.op.core.StridedSlice.beginMask(15L),
          org.tensorflow.op.core.StridedSlice.endMask(15L));
      y = cs.nn.conv2d(sub, variable.apply(ParameterSet.key(c.name(), ParameterSet.KERNEL)),
          List.of(1L, 1L, 1L, 1L), "VALID");
    } else {
      y = cs.nn.conv2d(x, variable.apply(ParameterSet.key(c.name(),
              ParameterSet.KERNEL)), List.of(1L, (long) c.stride(), (long) c.stride(), 1L),
          c.padding().name());
    }
    if (c.hasBias()) {
      y = cs.nn.biasAdd(y, variable.apply(ParameterSet.key(c.name(), ParameterSet.BIAS)));
    }
    if (c.batchNorm()) {
      y = batchNorm(cs, variable, c.name(), c.batchNormEpsilon(), y, batchStatistics, updates);
    }
    y = activate(cs, y, c.activation());
    if (c.batchNormAfterActivation()) {
      y = batchNorm(cs, variable, c.name(), c.batchNormEpsilon(), y, batchStatistics, updates);
    }
    return y;
  }

  /**
   * A pre-activation block's {@code activation(bn(x))} on its input; batch norm normalizes by
   * the batch's statistics (and updates the moving ones) when {@code batchStatistics}.
   */
  static Operand<TFloat32> preActivate(Ops s, Function<String, Variable<TFloat32>> variable,
      PreActivation p, Operand<TFloat32> x, boolean batchStatistics, List<Op> updates) {
    Ops ps = s.withSubScope(p.name());
    return activate(ps, batchNorm(ps, variable, p.name(), p.batchNormEpsilon(), x,
        batchStatistics, updates), p.activation());
  }

  /** Batch norm of {@code owner}'s channels: the batch's statistics, else the moving ones. */
  private static Operand<TFloat32> batchNorm(Ops cs, Function<String, Variable<TFloat32>> variable,
      String owner, float epsilon, Operand<TFloat32> y, boolean batchStatistics,
      List<Op> updates) {
    Variable<TFloat32> mean = variable.apply(ParameterSet.key(owner, ParameterSet.MOVING_MEAN));
    Variable<TFloat32> var = variable.apply(ParameterSet.key(owner,
        ParameterSet.MOVING_VARIANCE));
    Operand<TFloat32> gamma = variable.apply(ParameterSet.key(owner, ParameterSet.GAMMA));
    Operand<TFloat32> beta = variable.apply(ParameterSet.key(owner, ParameterSet.BETA));
    if (batchStatistics) {
      Operand<TFloat32> empty = cs.constant(new float[0]);
      FusedBatchNorm<TFloat32, TFloat32> bn = cs.nn.fusedBatchNorm(y, gamma, beta, empty, empty,
          FusedBatchNorm.epsilon(epsilon), FusedBatchNorm.isTraining(true));
      y = bn.y();
      updates.add(cs.assign(mean, movingAverage(cs, mean, bn.batchMean())));
      updates.add(cs.assign(var, movingAverage(cs, var, bn.batchVariance())));
    } else {
      y = cs.nn.fusedBatchNorm(y, gamma, beta, mean, var,
          FusedBatchNorm.epsilon(epsilon), FusedBatchNorm.isTraining(false)).y();
    }
    return y;
  }

  private static Operand<TFloat32> movingAverage(Ops s, Operand<TFloat32> moving,
      Operand<TFloat32> batch) {
    return s.math.add(s.math.mul(s.identity(moving), s.constant(BN_MOMENTUM)),
        s.math.mul(s.stopGradient(batch), s.constant(1 - BN_MOMENTUM)));
  }
}
