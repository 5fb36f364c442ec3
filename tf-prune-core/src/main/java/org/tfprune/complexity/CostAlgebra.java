package org.tfprune.complexity;

/**
 * The arithmetic a cost formula needs. {@link CostModel} writes the MAC and parameter formula once
 * against this interface; it is evaluated with plain numbers on the host (exact counts) and with
 * graph operands in the training graph (expectations as a differentiable function of theta).
 *
 * @param <N> the number type: {@code Double} on the host, {@code Operand<TFloat32>} in a graph
 */
public interface CostAlgebra<N> {
  N constant(double value);

  N add(N a, N b);

  N mul(N a, N b);

  /** Plain double arithmetic, for host-side counts. */
  CostAlgebra<Double> HOST = new CostAlgebra<>() {
    @Override
    public Double constant(double value) {
      return value;
    }

    @Override
    public Double add(Double a, Double b) {
      return a + b;
    }

    @Override
    public Double mul(Double a, Double b) {
      return a * b;
    }
  };
}
