package org.tfprune.imports;

/**
 * A model that cannot be imported: the message names the problem (the file, the op and its node)
 * and how to fix it.
 */
public final class ImportException extends RuntimeException {
  public ImportException(String message) {
    super(message);
  }

  public ImportException(String message, Throwable cause) {
    super(message, cause);
  }
}
