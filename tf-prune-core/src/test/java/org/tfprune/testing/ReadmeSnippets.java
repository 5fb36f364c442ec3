package org.tfprune.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Checks that the README shows a test's code verbatim: the lines of the test's source between
 * {@code // README-SNIPPET-BEGIN name} and {@code // README-SNIPPET-END name}, without their
 * common indentation, must appear in {@code README.md} as they are.
 */
public final class ReadmeSnippets {
  private ReadmeSnippets() {}

  /** Asserts that the README holds snippet {@code name} of {@code testClass}'s source. */
  public static void assertInReadme(Class<?> testClass, String name) {
    Path source = Path.of("src/test/java", testClass.getName().replace('.', '/') + ".java");
    String snippet = snippet(read(source), name);
    Path readme = readme();
    assertThat(read(readme)).as("%s shows snippet '%s' of %s verbatim:%n%s", readme, name,
        source, snippet).contains(snippet);
  }

  /** The lines between the markers of {@code name}, without their common indentation. */
  static String snippet(String source, String name) {
    List<String> lines = source.lines().toList();
    int begin = -1;
    int end = -1;
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i).strip();
      if (l.equals("// README-SNIPPET-BEGIN " + name)) {
        begin = i + 1;
      } else if (l.equals("// README-SNIPPET-END " + name)) {
        end = i;
      }
    }
    assertThat(begin).as("snippet %s begins", name).isPositive();
    assertThat(end).as("snippet %s ends after it begins", name).isGreaterThan(begin);
    List<String> body = lines.subList(begin, end);
    int indent = body.stream().filter(l -> !l.isBlank())
        .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
    StringBuilder s = new StringBuilder();
    for (String l : body) {
      s.append(l.isBlank() ? "" : l.substring(indent)).append('\n');
    }
    return s.toString();
  }

  private static Path readme() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("README.md")) && Files.isDirectory(dir.resolve("docs"))) {
        return dir.resolve("README.md");
      }
    }
    throw new UncheckedIOException(new IOException("README.md not found above "
        + Path.of("").toAbsolutePath()));
  }

  private static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
