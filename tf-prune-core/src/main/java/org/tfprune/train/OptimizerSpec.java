package org.tfprune.train;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * The weight optimizer and its learning-rate schedule (cosine decay from {@code learningRate} to
 * {@code finalLearningRate} over the run).
 *
 * @param kind Adam or SGD with momentum
 * @param momentum Adam's beta1 or the momentum coefficient
 */
public record OptimizerSpec(Kind kind, double learningRate, double finalLearningRate,
    double momentum) {

  /** Supported weight optimizers. */
  public enum Kind { ADAM, MOMENTUM }

  public OptimizerSpec {
    checkArgument(learningRate > 0 && Double.isFinite(learningRate),
        "weight learning rate must be positive, got %s", learningRate);
    checkArgument(finalLearningRate >= 0 && finalLearningRate <= learningRate,
        "final learning rate must be in [0, %s], got %s", learningRate, finalLearningRate);
    checkArgument(momentum >= 0 && momentum < 1, "momentum must be in [0, 1), got %s", momentum);
  }

  /** Adam, beta1 0.9, beta2 0.999, epsilon 1e-7. */
  public static OptimizerSpec adam(double lr, double finalLr) {
    return new OptimizerSpec(Kind.ADAM, lr, finalLr, 0.9);
  }

  /** SGD with (Nesterov) momentum. */
  public static OptimizerSpec momentum(double lr, double finalLr, double momentum) {
    return new OptimizerSpec(Kind.MOMENTUM, lr, finalLr, momentum);
  }

  /** Learning rate after {@code step} of {@code totalSteps} (cosine decay). */
  public double learningRateAt(long step, long totalSteps) {
    return cosine(learningRate, finalLearningRate, step, totalSteps);
  }

  /** Cosine decay from {@code from} to {@code to} over {@code totalSteps}. */
  public static double cosine(double from, double to, long step, long totalSteps) {
    double p = totalSteps <= 1 ? 1 : Math.min(1.0, (double) step / (totalSteps - 1));
    return to + (from - to) * 0.5 * (1 + Math.cos(Math.PI * p));
  }
}
