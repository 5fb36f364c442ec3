package org.tfprune.data;

import java.util.OptionalLong;

/**
 * Thrown when user data cannot be used: the message names the file (or data source), the record
 * when there is one, what is wrong, and how to fix it. Each kind of problem has its own subclass.
 */
public class DataException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String source;
  private final long record;

  /**
   * @param source the file, glob or data source the problem is in
   * @param record the index of the bad record in that file (from 0), or -1 when the problem is not
   *     in one record
   * @param problem what is wrong, without a final period
   * @param fix how to fix it, one or more sentences
   */
  public DataException(String source, long record, String problem, String fix) {
    this(source, record, problem, fix, null);
  }

  /** As {@link #DataException(String, long, String, String)}, with the underlying cause. */
  public DataException(String source, long record, String problem, String fix, Throwable cause) {
    super(message(source, record, problem, fix), cause);
    this.source = source;
    this.record = record;
  }

  private static String message(String source, long record, String problem, String fix) {
    return source + (record >= 0 ? ": record " + record : "") + ": " + problem + ". " + fix;
  }

  /** The file, glob or data source the problem is in. */
  public String source() {
    return source;
  }

  /** The index of the bad record in {@link #source()}, if the problem is in one record. */
  public OptionalLong record() {
    return record >= 0 ? OptionalLong.of(record) : OptionalLong.empty();
  }
}
