package org.tfprune.examples.data;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Thrown when a data set file is missing, malformed or inconsistent. The message says what is wrong,
 * which file, and how to fix it.
 */
public final class DatasetException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Not serialized: {@link Path} is not serializable; the path is part of the message anyway. */
  private final transient Path file;

  /** Creates an exception whose message is already complete (names the file and the fix). */
  public DatasetException(String message) {
    this(message, null, null);
  }

  /** Creates an exception whose message is already complete, with the underlying cause. */
  public DatasetException(String message, Throwable cause) {
    this(message, null, cause);
  }

  private DatasetException(String message, Path file, Throwable cause) {
    super(message, cause);
    this.file = file;
  }

  /**
   * Creates an exception with the message {@code "<file>: <problem>. <fix>"}.
   *
   * @param file the file that is missing or bad
   * @param problem what is wrong, without a final period
   * @param fix how to fix it, one or more sentences
   */
  public static DatasetException forFile(Path file, String problem, String fix) {
    return forFile(file, problem, fix, null);
  }

  /** Like {@link #forFile(Path, String, String)}, with the underlying cause. */
  public static DatasetException forFile(Path file, String problem, String fix, Throwable cause) {
    return new DatasetException(file + ": " + problem + ". " + fix, file, cause);
  }

  /** The file the problem is about, if the exception was created with {@link #forFile}. */
  public Optional<Path> file() {
    return Optional.ofNullable(file);
  }
}
