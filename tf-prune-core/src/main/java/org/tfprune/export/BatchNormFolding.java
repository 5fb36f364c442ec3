package org.tfprune.export;

import com.google.common.collect.ImmutableList;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.Conv2DLayer;
import org.tfprune.spec.LayerSpec;
import org.tfprune.spec.ResidualBlock;

/**
 * Folds inference-mode batch norm into the convolution before it (when the activation comes
 * after it; batch norm after the activation stays as it is): {@code s = gamma / sqrt(var +
 * eps)}, kernel {@code w * s} per output channel, bias {@code beta - mean * s}. The folded model
 * runs one op fewer per conv and has no batch-norm tensors; it equals the unfolded one up to
 * float rounding.
 */
public final class BatchNormFolding {
  private BatchNormFolding() {}

  /** A spec without batch norm and its parameters. */
  public record Folded(ArchitectureSpec spec, ParameterSet parameters) {}

  public static Folded fold(ArchitectureSpec spec, ParameterSet params) {
    Map<String, HostTensor> p = new LinkedHashMap<>(params.asMap());
    ImmutableList.Builder<LayerSpec> layers = ImmutableList.builder();
    for (LayerSpec l : spec.layers()) {
      if (l instanceof Conv2DLayer c) {
        layers.add(fold(c, p));
      } else if (l instanceof ResidualBlock r) {
        layers.add(new ResidualBlock(r.name(), fold(r.conv1(), p), fold(r.conv2(), p),
            r.shortcut() == null ? null : fold(r.shortcut(), p), r.gated(), r.activation(),
            r.preActivation(), r.depthwise() == null ? null : fold(r.depthwise(), p),
            r.middle() == null ? null : fold(r.middle(), p), r.shortcutStride(),
            r.middlePad()));
      } else {
        layers.add(l);
      }
    }
    return new Folded(new ArchitectureSpec(spec.name(), spec.input(), layers.build(),
        spec.streams()), new ParameterSet(p));
  }

  private static Conv2DLayer fold(Conv2DLayer c, Map<String, HostTensor> p) {
    if (!c.batchNorm()) {
      return c; // batch norm after the activation stays: the activation is between
    }
    float[] gamma = p.remove(ParameterSet.key(c.name(), ParameterSet.GAMMA)).values();
    float[] beta = p.remove(ParameterSet.key(c.name(), ParameterSet.BETA)).values();
    float[] mean = p.remove(ParameterSet.key(c.name(), ParameterSet.MOVING_MEAN)).values();
    float[] var = p.remove(ParameterSet.key(c.name(), ParameterSet.MOVING_VARIANCE)).values();
    String kernelKey = ParameterSet.key(c.name(), ParameterSet.KERNEL);
    HostTensor kernel = p.get(kernelKey);
    int out = c.filters();
    double[] scale = new double[out];
    float[] bias = new float[out];
    for (int o = 0; o < out; o++) {
      scale[o] = gamma[o] / Math.sqrt((double) var[o] + c.batchNormEpsilon());
      bias[o] = (float) (beta[o] - mean[o] * scale[o]);
    }
    float[] w = kernel.values().clone(); // [k, k, in, out]: the output channel is the last axis
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (w[i] * scale[i % out]);
    }
    p.put(kernelKey, new HostTensor(kernel.shape(), w));
    p.put(ParameterSet.key(c.name(), ParameterSet.BIAS), new HostTensor(new long[] {out}, bias));
    // a depthwise kernel [k, k, C, 1] has its channel at index i % C as well
    return new Conv2DLayer(c.name(), c.filters(), c.kernelSize(), c.stride(), c.padding(), false,
        c.activation(), c.gated(), c.batchNormEpsilon(), c.batchNormAfterActivation(),
        c.depthwise());
  }
}
