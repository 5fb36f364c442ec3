package org.tfprune.data;

/** An {@code .npz} archive (or {@code .npy} directory) without the named array. */
public final class MissingArrayException extends DataException {
  private static final long serialVersionUID = 1L;

  public MissingArrayException(String source, long record, String problem, String fix) {
    super(source, record, problem, fix);
  }

  public MissingArrayException(String source, long record, String problem, String fix, Throwable cause) {
    super(source, record, problem, fix, cause);
  }
}
