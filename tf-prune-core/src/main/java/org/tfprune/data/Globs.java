package org.tfprune.data;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.List;
import java.util.stream.Stream;

/** Expands a file glob such as {@code data/train-*.tfrecord} into the files it names, sorted. */
public final class Globs {
  private Globs() {}

  /** Whether {@code text} holds a glob character ({@code * ? [ {}). */
  public static boolean isGlob(String text) {
    return text.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{');
  }

  /**
   * The regular files {@code glob} names, sorted by path; a plain path names itself. The glob
   * characters may appear in the file name and in directories below the first one that holds
   * one.
   *
   * @throws DataException if no file matches
   */
  public static List<Path> expand(String glob) {
    if (!isGlob(glob)) {
      Path p = Path.of(glob);
      if (!Files.isRegularFile(p)) {
        throw new DataException(glob, -1, Files.isDirectory(p) ? "is a directory"
            : "file not found", "Pass a file or a glob such as 'data/train-*.tfrecord' (quote it"
            + " so the shell does not expand it).");
      }
      return List.of(p);
    }
    int firstGlob = glob.length();
    for (char c : new char[] {'*', '?', '[', '{'}) {
      int i = glob.indexOf(c);
      if (i >= 0) {
        firstGlob = Math.min(firstGlob, i);
      }
    }
    int slash = glob.lastIndexOf('/', firstGlob);
    Path base = slash < 0 ? Path.of("") : Path.of(glob.substring(0, Math.max(slash, 1)));
    String pattern = glob.substring(slash + 1);
    PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
    int depth = (int) pattern.chars().filter(c -> c == '/').count() + 1;
    Path root = base.toString().isEmpty() ? Path.of(".") : base;
    if (!Files.isDirectory(root)) {
      throw new DataException(glob, -1, "the directory " + root + " does not exist",
          "Check the path of the glob.");
    }
    try (Stream<Path> files = Files.walk(root, depth)) {
      List<Path> found = files.filter(Files::isRegularFile)
          .filter(p -> matcher.matches(root.relativize(p)))
          .map(p -> base.toString().isEmpty() ? root.relativize(p) : p)
          .sorted().toList();
      if (found.isEmpty()) {
        throw new DataException(glob, -1, "no file matches",
            "Check the glob (quote it so the shell does not expand it).");
      }
      return found;
    } catch (IOException e) {
      throw new DataException(glob, -1, "cannot list " + root + " (" + e + ")",
          "Check that the directory is readable.", e);
    }
  }
}
