package org.tfprune.export;

import com.google.common.collect.ImmutableList;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.Conv2DLayer;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.FeatureMap;
import org.tfprune.spec.GlobalAvgPoolLayer;
import org.tfprune.spec.LayerSpec;
import org.tfprune.spec.PoolLayer;
import org.tfprune.spec.PreActivation;
import org.tfprune.spec.ResidualBlock;

/**
 * How far float32 rounding alone can move the compact model's logits away from the gated
 * network's, per logit, so the export check accepts every correct export and refuses a wrong
 * one whose error is larger than rounding.
 *
 * <p><b>What differs.</b> In exact arithmetic a correct compact model computes the same logits as
 * the gated network in deterministic mode: a closed gate multiplies by exactly 0 and an open one
 * by exactly 1, so removed units contribute nothing; widths rounded up add units whose weights
 * are 0; batch norm folding is an algebraic identity. In float32 the two differ because the same
 * sums are accumulated in different orders (matrices of other shapes take other blocking paths),
 * and folding rounds {@code w * s} and {@code beta - mean * s} once more.
 *
 * <p><b>One accumulation.</b> A float32 operation returns {@code (a op b)(1 + d)} with {@code |d|
 * <= u = 2^-24}. A dot product of {@code n} terms {@code t_k = w_k h_k} plus a bias {@code b},
 * in any order, carries the error {@code sum_k t_k e_k + sum_k S_k d_k}, {@code S_k} its partial
 * sums (first order). The model (Higham and Mary's probabilistic rounding analysis): the {@code
 * d}'s and {@code e}'s are independent with mean 0 and variance at most {@code u^2/3}; the
 * terms come in an order unrelated to their values, so a partial sum is a sample of the terms
 * and {@code E S_k^2 <= S^2 + sum_k t_k^2}, {@code S} the full sum. The error's variance is then
 * at most {@code (n + 2) u^2 (S^2 + Q) / 3} with {@code Q = sum_k t_k^2 + b^2}. Batch norm in
 * inference mode adds five roundings of the same size, folding two, a residual addition and a
 * pool's division one each, a pool's sum its window.
 *
 * <p><b>Through the network.</b> Errors pass forward through the later layers: a linear map with
 * weights {@code w} turns independent errors of variance {@code v_j} into one of variance {@code
 * sum_j w_j^2 v_j}; ReLU, max pooling and gating by 0 or 1 do not enlarge them; averaging does not
 * either. Let {@code Q} be the output of the <i>square network</i>: the same network run on the
 * squared input with squared kernels and biases, batch norm as {@code (Q + mean^2) gamma^2 / (var
 * + eps) + beta^2}. It satisfies {@code Q_out >= sum_j w_j^2 Q_j + b^2} at every layer, so an
 * error variance of at most {@code c Q} at one layer stays at most {@code c Q} at every later
 * one. Summing the layers' contributions, with the logit's own {@code S^2 = y^2} added, the error
 * variance of a logit {@code y} is at most {@code u^2 N (Q + y^2) / 3}, {@code N} the sum of every
 * layer's count above ({@code n + 2} for a dense layer or a conv with bias, {@code n + 7} with
 * batch norm, ...). The hidden layers' own {@code S^2} is not in {@code Q}: the slack below
 * covers it. A fixed region (ops the importer kept unchanged) runs on {@code Q} with its weights
 * squared: exact for products with and sums of weights, an approximation for other ops (a
 * {@code Square} doubles an error where the square network squares {@code Q}), which the slack
 * covers too.
 *
 * <p><b>The bound.</b> The compact model and the gated network each carry such an error ({@code
 * N} counted on each one's own widths, the compact one with the folding roundings), so their
 * difference has standard deviation {@code sigma <= u sqrt((N_gated + N_compact) (Q + y^2) / 3)}
 * and the check accepts {@code |compact - gated| <= LAMBDA sigma} per logit, {@code LAMBDA = 10}.
 * The error is a sum of many small independent roundings, close to Gaussian, which exceeds 10
 * standard deviations with probability 1.5e-23. Measured on LeNet-300-100 exports trained on
 * MNIST (10000 logits each, three seeds) the largest difference is 2.1 to 3.0 sigma, what the
 * largest of 10000 Gaussian draws typically is (3.9), so the model holds there without the slack;
 * a folded tiny ResNet stays under 0.1 sigma. A wrong weight off by {@code delta} moves a logit
 * by {@code delta} times the activation it multiplies: an output bias or kernel weight off by
 * 1e-3 exceeds the bound (a few 1e-6 to 1e-4 on those logits) and is refused.
 */
public final class RoundingBound {
  /** Unit roundoff of float32: {@code 2^-24}. */
  public static final double UNIT_ROUNDOFF = Math.scalb(1.0, -24);

  /** How many modelled standard deviations the check accepts. */
  public static final double LAMBDA = 10;

  /** Roundings of inference-mode batch norm: {@code x - mean}, rsqrt, two products, a sum. */
  static final int BATCH_NORM_ROUNDINGS = 5;

  /** Extra roundings of a folded conv: {@code w * s} and {@code beta - mean * s}. */
  static final int FOLDING_ROUNDINGS = 2;

  private RoundingBound() {}

  /**
   * The rounding count {@code N} of one network: per layer its fan-in plus the roundings of its
   * bias, batch norm, pooling or residual addition (see the class comment).
   *
   * @param folded whether batch norm was folded into the convs (their kernels and biases carry
   *     the folding's roundings)
   */
  public static long roundings(ArchitectureSpec spec, boolean folded) {
    ImmutableList<FeatureMap> shapes = spec.shapes();
    long n = 0;
    for (int i = 0; i < spec.layers().size(); i++) {
      n += roundings(spec.layers().get(i), shapes.get(i), folded);
    }
    return n;
  }

  private static long roundings(LayerSpec l, FeatureMap in, boolean folded) {
    if (l instanceof DenseLayer) {
      return in.size() + 2L;
    } else if (l instanceof Conv2DLayer c) {
      return conv(c, in.channels(), folded);
    } else if (l instanceof ResidualBlock r) {
      return conv(r.conv1(), in.channels(), folded) + conv(r.conv2(), r.conv2InputWidth(), folded)
          + (r.depthwise() == null ? 0 : conv(r.depthwise(), r.innerWidth(), folded))
          + (r.middle() == null ? 0 : conv(r.middle(), r.innerWidth(), folded))
          + (r.shortcut() == null ? 0 : conv(r.shortcut(), in.channels(), folded)) + 1
          + (r.preActivation() == null ? 0 : BATCH_NORM_ROUNDINGS);
    } else if (l instanceof PoolLayer p) {
      return p.kind() == PoolLayer.Kind.AVG ? (long) p.size() * p.size() + 1 : 0;
    } else if (l instanceof GlobalAvgPoolLayer) {
      return (long) in.height() * in.width() + 1;
    } else if (l instanceof org.tfprune.spec.FixedLayer f) {
      return f.ops().getNodeCount(); // about one rounding per op of the region
    }
    return 0; // flatten, padding: no arithmetic
  }

  private static long conv(Conv2DLayer c, int inChannels, boolean folded) {
    long n = c.fanIn(inChannels) + 2L;
    if (c.hasBatchNorm()) {
      n += BATCH_NORM_ROUNDINGS;
    }
    if (folded) {
      n += FOLDING_ROUNDINGS; // counted on every conv, folded or not: a small overcount
    }
    return n;
  }

  /**
   * The parameters of the square network of {@code spec}: kernels, biases, gamma and beta
   * squared; batch norm's statistics set so that it computes {@code (Q + mean^2) gamma^2 / (var +
   * eps) + beta^2}; gate parameters unchanged (gates are 0 or 1 either way).
   */
  public static ParameterSet squareParameters(ArchitectureSpec spec, ParameterSet params) {
    Map<String, HostTensor> out = new LinkedHashMap<>();
    Map<String, Float> epsilons = new LinkedHashMap<>();
    for (LayerSpec l : spec.layers()) {
      for (Conv2DLayer c : convs(l)) {
        epsilons.put(c.name(), c.batchNormEpsilon());
      }
      if (l instanceof ResidualBlock r && r.preActivation() != null) {
        epsilons.put(r.preActivation().name(), r.preActivation().batchNormEpsilon());
      }
    }
    params.asMap().forEach((name, t) -> {
      String kind = ParameterSet.kindOf(name);
      if (kind.startsWith(org.tfprune.spec.FixedLayer.WEIGHT)) {
        kind = ParameterSet.KERNEL; // a fixed region's weights scale or shift what it reads
      }
      switch (kind) {
        case ParameterSet.KERNEL, ParameterSet.BIAS, ParameterSet.BETA -> out.put(name,
            map(t, v -> v * v));
        case ParameterSet.MOVING_MEAN -> out.put(name, map(t, v -> -v * v));
        default -> out.put(name, t);
      }
    });
    params.asMap().forEach((name, t) -> {
      if (ParameterSet.kindOf(name).equals(ParameterSet.MOVING_VARIANCE)) {
        String owner = ParameterSet.ownerOf(name);
        double eps = epsilons.getOrDefault(owner, Conv2DLayer.DEFAULT_BATCH_NORM_EPSILON);
        float[] var = t.values();
        float[] gamma = params.get(owner, ParameterSet.GAMMA).values();
        float[] g2 = new float[gamma.length];
        float[] v1 = new float[var.length];
        for (int i = 0; i < var.length; i++) {
          // rsqrt(v1 + eps) = 1, so batch norm scales by g2 = gamma^2 / (var + eps)
          g2[i] = (float) ((double) gamma[i] * gamma[i] / ((double) var[i] + eps));
          v1[i] = (float) (1 - eps);
        }
        out.put(name, new HostTensor(t.shape(), v1));
        out.put(ParameterSet.key(owner, ParameterSet.GAMMA), new HostTensor(t.shape(), g2));
      }
    });
    return new ParameterSet(out);
  }

  /**
   * The spec of the square network: ReLU6, tanh and leaky ReLU (slope at most 1) become the
   * identity there ({@code |f(x)| <= |x|} and {@code |f'| <= 1}, so {@code Q} stays an upper
   * bound of the squared activation and of the error it carries); ReLU and sigmoid stay
   * (sigmoid's derivative is at most 1/4 and its square network output at least 1/2, at least
   * half of any squared sigmoid output).
   */
  static ArchitectureSpec squareSpec(ArchitectureSpec spec) {
    ImmutableList.Builder<LayerSpec> layers = ImmutableList.builder();
    for (LayerSpec l : spec.layers()) {
      if (l instanceof DenseLayer d) {
        layers.add(new DenseLayer(d.name(), d.units(), square(d.activation()), d.gated()));
      } else if (l instanceof Conv2DLayer c) {
        layers.add(c.withActivation(square(c.activation())));
      } else if (l instanceof ResidualBlock r) {
        layers.add(new ResidualBlock(r.name(), r.conv1().withActivation(square(
            r.conv1().activation())), r.conv2(), r.shortcut(), r.gated(),
            square(r.activation()), r.preActivation() == null ? null : new PreActivation(
                r.preActivation().name(), square(r.preActivation().activation()),
                r.preActivation().batchNormEpsilon()), r.depthwise() == null ? null
                : r.depthwise().withActivation(square(r.depthwise().activation())),
            r.middle() == null ? null : r.middle().withActivation(square(
                r.middle().activation())), r.shortcutStride(), r.middlePad()));
      } else {
        layers.add(l);
      }
    }
    return new ArchitectureSpec(spec.name(), spec.input(), layers.build(), spec.streams());
  }

  private static org.tfprune.spec.Activation square(org.tfprune.spec.Activation a) {
    return switch (a.kind()) {
      case RELU6, TANH, LEAKY_RELU -> org.tfprune.spec.Activation.IDENTITY;
      default -> a;
    };
  }

  /** The convs of a layer (none, one, or a residual block's two or three). */
  private static java.util.List<Conv2DLayer> convs(LayerSpec l) {
    if (l instanceof Conv2DLayer c) {
      return java.util.List.of(c);
    } else if (l instanceof ResidualBlock r) {
      java.util.List<Conv2DLayer> convs = new java.util.ArrayList<>(java.util.List.of(r.conv1(),
          r.conv2()));
      if (r.shortcut() != null) {
        convs.add(r.shortcut());
      }
      if (r.depthwise() != null) {
        convs.add(r.depthwise());
      }
      if (r.middle() != null) {
        convs.add(r.middle());
      }
      return convs;
    }
    return java.util.List.of();
  }

  /**
   * The per-logit bound {@code LAMBDA u sqrt((nGated + nCompact) (Q + y^2) / 3)} for {@code
   * count} examples held row-major in {@code x}, with {@code Q} the square network's logits and
   * {@code y} the gated network's ({@code gated}).
   */
  public static HostTensor perLogit(ArchitectureSpec spec, ParameterSet params, float[] x,
      int count, HostTensor gated, long nGated, long nCompact) {
    float[] x2 = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      x2[i] = x[i] * x[i];
    }
    HostTensor q = CompactExporter.gatedLogits(squareSpec(spec), squareParameters(spec, params),
        x2, count);
    float[] b = q.values();
    double scale = LAMBDA * UNIT_ROUNDOFF * Math.sqrt((nGated + nCompact) / 3.0);
    for (int i = 0; i < b.length; i++) {
      double y = gated.get(i);
      b[i] = (float) (scale * Math.sqrt(Math.max(0, b[i]) + y * y));
    }
    return new HostTensor(q.shape(), b);
  }

  private static HostTensor map(HostTensor t, java.util.function.DoubleUnaryOperator f) {
    float[] v = t.values();
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) f.applyAsDouble(v[i]);
    }
    return new HostTensor(t.shape(), v);
  }
}
