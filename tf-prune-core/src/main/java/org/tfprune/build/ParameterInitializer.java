package org.tfprune.build;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.GateGroup;
import org.tfprune.spec.LayerSpec;

/**
 * Initial parameter values drawn on the host from a seed, so a run is reproducible and the saved
 * graph holds no large constants: He-normal kernels ({@code N(0, 2 / fan_in)}), zero biases and
 * gate probabilities at {@code thetaInit}. (TF-Java 1.0's uniform Glorot/He initializers sample
 * only [0, limit], which is why this is done here.)
 */
public final class ParameterInitializer {
  private ParameterInitializer() {}

  public static ParameterSet initialize(ArchitectureSpec spec, long seed, float thetaInit) {
    checkArgument(thetaInit > 0f && thetaInit <= 1f, "initial theta must be in (0, 1], got %s",
        thetaInit);
    SplittableRandom rng = new SplittableRandom(seed);
    Map<String, HostTensor> m = new LinkedHashMap<>();
    for (int i = 0; i < spec.layers().size(); i++) {
      LayerSpec l = spec.layers().get(i);
      int fanIn = spec.inputWidthOf(i);
      if (l instanceof DenseLayer d) {
        float[] k = new float[fanIn * d.units()];
        double std = Math.sqrt(2.0 / fanIn);
        for (int j = 0; j < k.length; j++) {
          k[j] = (float) (gaussian(rng) * std);
        }
        m.put(ParameterSet.key(l.name(), ParameterSet.KERNEL),
            new HostTensor(new long[] {fanIn, d.units()}, k));
        m.put(ParameterSet.key(l.name(), ParameterSet.BIAS),
            new HostTensor(new long[] {d.units()}, new float[d.units()]));
      } else {
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

  private static double gaussian(SplittableRandom rng) {
    // Box-Muller; SplittableRandom has no nextGaussian in Java 17.
    double u1 = rng.nextDouble();
    double u2 = rng.nextDouble();
    return Math.sqrt(-2.0 * Math.log(1.0 - u1)) * Math.cos(2.0 * Math.PI * u2);
  }
}
