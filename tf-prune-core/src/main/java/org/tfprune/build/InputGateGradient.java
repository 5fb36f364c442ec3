package org.tfprune.build;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.types.TFloat32;

/**
 * The first kernel's gradient and the straight-through gradient of the input-feature gates' theta
 * for a pass that gates the features ({@link InputGateTap}), from the gradient of the first
 * product {@code h = (x * z) W}. With {@code G = x^T dh} (the ungated features: one product, the
 * one a dense network's kernel gradient costs), the kernel's gradient is {@code G * z} (a
 * dropped feature's row gets none) and the gate's is {@code dL/dz_i = sum_j G_ij W_ij}, exactly
 * what differentiating through {@code x (W * z)} gives, without the gated kernel's extra
 * product in the forward pass and its broadcasting gradient in the backward pass.
 */
public final class InputGateGradient {
  private InputGateGradient() {}

  /**
   * Both gradients of a loss.
   *
   * @param kernel {@code [F, units]}, the gradient with respect to the first kernel
   * @param theta {@code [F]}, the gradient with respect to the input group's theta
   */
  public record Gradients(Operand<TFloat32> kernel, Operand<TFloat32> theta) {}

  /**
   * @param preActivationGradient the loss's gradient with respect to {@link
   *     InputGateTap#preActivation}, {@code [batch, units]}
   * @param mask the input group's frozen-gate mask {@code [F]}: frozen features' theta gets no
   *     gradient (their effective theta is {@code theta * mask})
   */
  public static Gradients of(Ops tf, InputGateTap tap, Operand<TFloat32> preActivationGradient,
      Operand<TFloat32> mask) {
    Ops s = tf.withSubScope("input_gate_gradient");
    Operand<TFloat32> g = s.linalg.matMul(tap.features(), preActivationGradient,
        MatMul.transposeA(!tap.transposed()));
    Operand<TFloat32> kernel = s.math.mul(g, s.expandDims(tap.sample(), s.constant(-1)));
    Operand<TFloat32> theta = s.math.mul(
        s.reduceSum(s.math.mul(g, tap.kernel()), s.constant(1)), mask);
    return new Gradients(kernel, theta);
  }
}
