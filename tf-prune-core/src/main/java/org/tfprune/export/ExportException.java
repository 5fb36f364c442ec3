package org.tfprune.export;

/** An export or import that cannot proceed; the message names the problem and the fix. */
public final class ExportException extends RuntimeException {
  public ExportException(String message) {
    super(message);
  }

  public ExportException(String message, Throwable cause) {
    super(message, cause);
  }
}
