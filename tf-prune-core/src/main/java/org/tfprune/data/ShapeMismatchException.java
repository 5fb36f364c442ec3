package org.tfprune.data;

/** An example whose shape or element type does not fit the model's input; the message names both shapes. */
public final class ShapeMismatchException extends DataException {
  private static final long serialVersionUID = 1L;

  public ShapeMismatchException(String source, long record, String problem, String fix) {
    super(source, record, problem, fix);
  }

  public ShapeMismatchException(String source, long record, String problem, String fix, Throwable cause) {
    super(source, record, problem, fix, cause);
  }
}
