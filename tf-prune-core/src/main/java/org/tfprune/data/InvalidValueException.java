package org.tfprune.data;

/** A feature value that is NaN or infinite. */
public final class InvalidValueException extends DataException {
  private static final long serialVersionUID = 1L;

  public InvalidValueException(String source, long record, String problem, String fix) {
    super(source, record, problem, fix);
  }

  public InvalidValueException(String source, long record, String problem, String fix, Throwable cause) {
    super(source, record, problem, fix, cause);
  }
}
