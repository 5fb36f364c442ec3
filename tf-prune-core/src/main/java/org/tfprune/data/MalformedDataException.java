package org.tfprune.data;

/** A file that is not in the format it is read as (bad header, unsupported element type, undecodable image). */
public final class MalformedDataException extends DataException {
  private static final long serialVersionUID = 1L;

  public MalformedDataException(String source, long record, String problem, String fix) {
    super(source, record, problem, fix);
  }

  public MalformedDataException(String source, long record, String problem, String fix, Throwable cause) {
    super(source, record, problem, fix, cause);
  }
}
