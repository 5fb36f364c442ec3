package org.tfprune.loss;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The parts of the complexity-aware objective as graph operands.
 *
 * @param total what the trainer minimises: {@code data + prior + complexity}
 * @param data mean cross-entropy of the batch
 * @param prior expected negative log scale-mixture prior, per training example
 * @param complexity {@code strength}-weighted expected-complexity cost
 * @param expectedMacs {@code E[MACs](theta)}
 * @param expectedParams {@code E[params](theta)}
 * @param weightGradients the prior's gradient with respect to each weight variable (by name),
 *     which {@code total} does not carry through autodiff: add it to the autodiff gradient
 */
public record LossTerms(Operand<TFloat32> total, Operand<TFloat32> data, Operand<TFloat32> prior,
    Operand<TFloat32> complexity, Operand<TFloat32> expectedMacs,
    Operand<TFloat32> expectedParams, java.util.Map<String, Operand<TFloat32>> weightGradients) {

  /**
   * The same prior and complexity cost with {@code data} (another forward pass's data loss, see
   * {@link ComplexityAwareLoss#dataLoss}) as the data loss.
   */
  public LossTerms withData(Ops tf, Operand<TFloat32> data) {
    return new LossTerms(tf.withName("objective").math.add(tf.math.add(data, prior), complexity),
        data, prior, complexity, expectedMacs, expectedParams, weightGradients);
  }
}
