package org.tfprune.imports;

/**
 * A model that cannot be imported: the message names the problem (the file, the op and its node)
 * and how to fix it.
 */
public final class ImportException extends RuntimeException {
  private final boolean unmapped;

  public ImportException(String message) {
    this(message, null, false);
  }

  public ImportException(String message, Throwable cause) {
    this(message, cause, false);
  }

  private ImportException(String message, Throwable cause, boolean unmapped) {
    super(message, cause);
    this.unmapped = unmapped;
  }

  /**
   * An op or a form the importer does not map to a layer, but that the network can keep as a
   * fixed, unpruned region (the message says why it was not mapped).
   */
  static ImportException unmapped(String message) {
    return new ImportException(message, null, true);
  }

  /** Whether this is an op or form kept as a fixed region instead of being refused. */
  boolean unmappedForm() {
    return unmapped;
  }
}
