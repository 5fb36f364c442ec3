package org.tfprune.data;

/** A label outside {@code [0, numClasses)}. */
public final class LabelOutOfRangeException extends DataException {
  private static final long serialVersionUID = 1L;

  public LabelOutOfRangeException(String source, long record, String problem, String fix) {
    super(source, record, problem, fix);
  }

  public LabelOutOfRangeException(String source, long record, String problem, String fix, Throwable cause) {
    super(source, record, problem, fix, cause);
  }
}
