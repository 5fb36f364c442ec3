package org.tfprune.data;

/** Images and labels of different counts. */
public final class CountMismatchException extends DataException {
  private static final long serialVersionUID = 1L;

  public CountMismatchException(String source, long record, String problem, String fix) {
    super(source, record, problem, fix);
  }

  public CountMismatchException(String source, long record, String problem, String fix, Throwable cause) {
    super(source, record, problem, fix, cause);
  }
}
