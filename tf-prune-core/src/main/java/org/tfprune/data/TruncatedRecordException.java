package org.tfprune.data;

/** A TFRecord file whose framing is broken: a length or payload that runs past the end of the file, or a length or data CRC that does not match. */
public final class TruncatedRecordException extends DataException {
  private static final long serialVersionUID = 1L;

  public TruncatedRecordException(String source, long record, String problem, String fix) {
    super(source, record, problem, fix);
  }

  public TruncatedRecordException(String source, long record, String problem, String fix, Throwable cause) {
    super(source, record, problem, fix, cause);
  }
}
