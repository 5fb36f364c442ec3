package org.tfprune.build;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.Conv2DLayer;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.FeatureMap;
import org.tfprune.spec.FixedLayer;
import org.tfprune.spec.GateGroup;
import org.tfprune.spec.LayerSpec;
import org.tfprune.spec.PassThroughLayer;
import org.tfprune.spec.ResidualBlock;

/**
 * Initial parameter values drawn on the host from a seed, so a run is reproducible and the saved
 * graph holds no large constants: He-normal kernels ({@code N(0, 2 / fan_in)}), zero biases and
 * gate probabilities at {@code thetaInit}; batch norm starts as the identity (scale 1, offset 0,
 * moving mean 0, moving variance 1). (TF-Java 1.0's uniform Glorot/He initializers sample
 * only [0, limit], which is why this is done here.)
 */
public final class ParameterInitializer {
  private ParameterInitializer() {}

  public static ParameterSet initialize(ArchitectureSpec spec, long seed, float thetaInit) {
    checkArgument(thetaInit > 0f && thetaInit <= 1f, "initial theta must be in (0, 1], got %s",
        thetaInit);
    SplittableRandom rng = new SplittableRandom(seed);
    Map<String, HostTensor> m = new LinkedHashMap<>();
    java.util.List<FeatureMap> shapes = spec.shapes();
    for (int i = 0; i < spec.layers().size(); i++) {
      LayerSpec l = spec.layers().get(i);
      int in = shapes.get(i).channels();
      if (l instanceof DenseLayer d) {
        m.put(ParameterSet.key(l.name(), ParameterSet.KERNEL),
            heNormal(rng, new long[] {in, d.units()}, in));
        m.put(ParameterSet.key(l.name(), ParameterSet.BIAS), filled(d.units(), 0f));
      } else if (l instanceof Conv2DLayer c) {
        conv(m, rng, c, in);
      } else if (l instanceof ResidualBlock r) {
        if (r.preActivation() != null) {
          String pre = r.preActivation().name();
          m.put(ParameterSet.key(pre, ParameterSet.GAMMA), filled(in, 1f));
          m.put(ParameterSet.key(pre, ParameterSet.BETA), filled(in, 0f));
          m.put(ParameterSet.key(pre, ParameterSet.MOVING_MEAN), filled(in, 0f));
          m.put(ParameterSet.key(pre, ParameterSet.MOVING_VARIANCE), filled(in, 1f));
        }
        conv(m, rng, r.conv1(), in);
        if (r.depthwise() != null) {
          conv(m, rng, r.depthwise(), r.innerWidth());
        }
        if (r.middle() != null) {
          conv(m, rng, r.middle(), r.innerWidth());
        }
        conv(m, rng, r.conv2(), r.conv2InputWidth());
        if (r.shortcut() != null) {
          conv(m, rng, r.shortcut(), in);
        }
      } else if (!(l instanceof PassThroughLayer) && !(l instanceof FixedLayer)) {
        // a fixed region's frozen weights come with the model it was imported from
        throw new IllegalArgumentException("no initializer for layer type " + l.getClass());
      }
    }
    for (GateGroup g : spec.gateGroups()) {
      float[] t = new float[g.size()];
      Arrays.fill(t, thetaInit);
      m.put(ParameterSet.key(g.name(), ParameterSet.THETA), new HostTensor(new long[] {g.size()}, t));
    }
    return new ParameterSet(m);
  }

  private static void conv(Map<String, HostTensor> m, SplittableRandom rng, Conv2DLayer c,
      int in) {
    int k = c.kernelSize();
    m.put(ParameterSet.key(c.name(), ParameterSet.KERNEL),
        heNormal(rng, c.depthwise() ? new long[] {k, k, c.filters(), 1}
            : new long[] {k, k, in, c.filters()}, c.fanIn(in)));
    if (c.hasBias()) {
      m.put(ParameterSet.key(c.name(), ParameterSet.BIAS), filled(c.filters(), 0f));
    }
    if (c.hasBatchNorm()) {
      m.put(ParameterSet.key(c.name(), ParameterSet.GAMMA), filled(c.filters(), 1f));
      m.put(ParameterSet.key(c.name(), ParameterSet.BETA), filled(c.filters(), 0f));
      m.put(ParameterSet.key(c.name(), ParameterSet.MOVING_MEAN), filled(c.filters(), 0f));
      m.put(ParameterSet.key(c.name(), ParameterSet.MOVING_VARIANCE), filled(c.filters(), 1f));
    }
  }

  private static HostTensor heNormal(SplittableRandom rng, long[] shape, int fanIn) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    float[] v = new float[(int) n];
    double std = Math.sqrt(2.0 / fanIn);
    for (int j = 0; j < v.length; j++) {
      v[j] = (float) (gaussian(rng) * std);
    }
    return new HostTensor(shape, v);
  }

  private static HostTensor filled(int n, float value) {
    float[] v = new float[n];
    Arrays.fill(v, value);
    return new HostTensor(new long[] {n}, v);
  }

  private static double gaussian(SplittableRandom rng) {
    // Box-Muller; SplittableRandom has no nextGaussian in Java 17.
    double u1 = rng.nextDouble();
    double u2 = rng.nextDouble();
    return Math.sqrt(-2.0 * Math.log(1.0 - u1)) * Math.cos(2.0 * Math.PI * u2);
  }
}
