package org.tfprune.train;

/** The training objective became NaN or infinite; the message says where and what to change. */
public final class TrainingDivergedException extends RuntimeException {
  public TrainingDivergedException(String message) {
    super(message);
  }
}
