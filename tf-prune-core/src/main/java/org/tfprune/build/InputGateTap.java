package org.tfprune.build;

import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;

/**
 * The tensors around the first layer of a sampled pass whose input-feature gates multiply the
 * features ({@code x * z}) rather than the first kernel's rows: a trainer differentiates the loss
 * with respect to {@code preActivation} and forms the first kernel's and the input gates' theta
 * gradients from it with {@link InputGateGradient}.
 *
 * @param features the features entering the first layer, ungated: {@code [batch, F]}, or
 *     {@code [F, batch]} when {@code transposed}
 * @param transposed whether {@code features} is stored feature-major
 * @param sample the 0/1 gate sample {@code [F]} shared by the batch (no gradient)
 * @param preActivation {@code (x * z) W}, the first layer's matrix product {@code [batch, units]}
 * @param kernel the first layer's kernel variable {@code [F, units]}
 */
public record InputGateTap(Operand<TFloat32> features, boolean transposed,
    Operand<TFloat32> sample, Operand<TFloat32> preActivation, Operand<TFloat32> kernel) {}
