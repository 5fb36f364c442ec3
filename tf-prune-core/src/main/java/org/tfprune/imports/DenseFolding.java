package org.tfprune.imports;

import org.tfprune.slice.HostTensor;

/**
 * Folds a per-unit affine {@code x * s + t} (batch norm in Keras's unfused inference form) into
 * a dense layer's kernel {@code [in, units]} and bias, on either side of the layer.
 */
final class DenseFolding {
  private DenseFolding() {}

  /** {@code (x s + t) W + b = x (s W) + (t W + b)}: an affine on the layer's input. */
  static HostTensor[] input(HostTensor kernel, HostTensor bias, float[] s, float[] t) {
    int in = kernel.dim(0);
    int units = kernel.dim(1);
    float[] w = kernel.values().clone();
    double[] b = new double[units];
    for (int j = 0; j < units; j++) {
      b[j] = bias.values()[j];
    }
    for (int i = 0; i < in; i++) {
      for (int j = 0; j < units; j++) {
        b[j] += (double) t[i] * w[i * units + j];
        w[i * units + j] *= s[i];
      }
    }
    float[] out = new float[units];
    for (int j = 0; j < units; j++) {
      out[j] = (float) b[j];
    }
    return new HostTensor[] {new HostTensor(kernel.shape(), w),
        new HostTensor(new long[] {units}, out)};
  }

  /** {@code (x W + b) s + t = x (W s) + (b s + t)}: an affine on the layer's output. */
  static HostTensor[] output(HostTensor kernel, HostTensor bias, float[] s, float[] t) {
    int units = kernel.dim(1);
    float[] w = kernel.values().clone();
    for (int i = 0; i < w.length; i++) {
      w[i] *= s[i % units];
    }
    float[] b = bias.values().clone();
    for (int j = 0; j < units; j++) {
      b[j] = b[j] * s[j] + t[j];
    }
    return new HostTensor[] {new HostTensor(kernel.shape(), w),
        new HostTensor(new long[] {units}, b)};
  }
}
