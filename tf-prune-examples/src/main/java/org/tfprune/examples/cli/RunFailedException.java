package org.tfprune.examples.cli;

/**
 * A job failed after its input was accepted and its work had started (the training diverged, the
 * export was refused, writing failed); nothing was written to the output. The command line exits
 * with {@link TfPruneCli#EXIT_RUN_FAILED} for it, and with {@link TfPruneCli#EXIT_BAD_INPUT} for
 * input refused before any work.
 */
public final class RunFailedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public RunFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
