package org.tfprune.data;

/** A {@code tf.train.Example} without the feature key asked for, or with the wrong kind of value under it. */
public final class MissingFeatureException extends DataException {
  private static final long serialVersionUID = 1L;

  public MissingFeatureException(String source, long record, String problem, String fix) {
    super(source, record, problem, fix);
  }

  public MissingFeatureException(String source, long record, String problem, String fix, Throwable cause) {
    super(source, record, problem, fix, cause);
  }
}
