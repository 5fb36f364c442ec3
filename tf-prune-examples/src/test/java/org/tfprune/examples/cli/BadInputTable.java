package org.tfprune.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs {@code tf-prune} on bad input, asserts its exit code and the fragments of its message, and
 * keeps what it observed as rows of the user table in {@code docs/bad-input.md} (one section per
 * test class, between {@code <!-- begin NAME -->} and {@code <!-- end NAME -->}).
 *
 * <p>{@link #finish()} writes the observed section to {@code target/bad-input/NAME.md} and checks
 * the documented one against it: every observed case is documented with the same command and exit
 * code, and its documented message holds every fragment the test asserted. With {@code
 * -Dtfprune.writeBadInputDoc=true} (and the whole class run) it rewrites the section instead.
 */
final class BadInputTable {
  /** One observed case; {@code fragments} are what the test asserted of the message. */
  record Row(String name, String command, int exitCode, String message, List<String> fragments) {}

  private final String section;
  private final String readmeSection;
  private final Map<String, String> display = new LinkedHashMap<>();
  private final List<Row> rows = new ArrayList<>();

  BadInputTable(String section) {
    this(section, null);
  }

  private BadInputTable(String section, String readmeSection) {
    this.section = section;
    this.readmeSection = readmeSection;
  }

  /**
   * This table, also kept in {@code README.md} between {@code <!-- begin NAME -->} and {@code <!--
   * end NAME -->}: one row per case and command ({@code train}, {@code prune}, {@code evaluate})
   * with the whole message, checked (or rewritten) as the section of {@code docs/bad-input.md}.
   */
  BadInputTable withReadmeSection(String name) {
    return new BadInputTable(section, name);
  }

  /** Shows {@code path} as {@code shown} in the table's commands and messages. */
  synchronized BadInputTable show(Path path, String shown) {
    display.put(path.toAbsolutePath().normalize() + "/", shown.isEmpty() ? "" : shown + "/");
    display.put(path.toAbsolutePath().normalize().toString(), shown);
    display.put(path.toString(), shown);
    return this;
  }

  /**
   * Runs {@code tf-prune args} in this JVM, asserts the exit code and that the error message
   * holds every fragment, and records the case.
   */
  CliRun check(String name, int exitCode, List<String> fragments, String... args) {
    CliRun r = CliRun.of(args);
    assertThat(r.exitCode()).as("%s: exit code; stderr:%n%s", name, r.err()).isEqualTo(exitCode);
    String message = message(r.err());
    for (String f : fragments) {
      assertThat(message).as("%s: message", name).contains(f);
    }
    record(name, "tf-prune " + String.join(" ", args), exitCode, message, fragments);
    return r;
  }

  /** Records a case observed some other way (e.g. a child JVM). */
  synchronized void record(String name, String command, int exitCode, String message,
      List<String> fragments) {
    rows.add(new Row(name, shown(command), exitCode, shown(message), fragments));
  }

  /**
   * The error message: from the {@code tf-prune: error:} line (without the prefix) to the first
   * blank line, lines joined by spaces.
   */
  static String message(String stderr) {
    StringBuilder m = new StringBuilder();
    boolean in = false;
    for (String line : stderr.split("\n")) {
      String l = line.strip();
      if (l.startsWith("tf-prune: error: ")) {
        in = true;
        l = l.substring("tf-prune: error: ".length());
      } else if (in && l.isEmpty()) {
        break;
      }
      if (in && !l.isEmpty()) {
        m.append(m.length() == 0 ? "" : " ").append(l);
      }
    }
    return m.toString();
  }

  private synchronized String shown(String s) {
    String out = s;
    for (Map.Entry<String, String> e : display.entrySet()) {
      out = out.replace(e.getKey(), e.getValue());
    }
    // names that differ from run to run
    return out.replaceAll("tmp-[0-9a-f]{8}-[0-9a-f-]{27}", "tmp-ID")
        .replaceAll("tempstate[0-9]+", "tempstateN");
  }

  /** Writes the observed section and checks (or rewrites) the documented one. */
  synchronized void finish() throws IOException {
    List<Row> sorted = new ArrayList<>(rows);
    sorted.sort(Comparator.comparing(Row::name).thenComparing(Row::command));
    check(docFile(), section, table(sorted, false), sorted, false);
    if (readmeSection != null) {
      check(docFile().getParent().getParent().resolve("README.md"), readmeSection,
          table(sorted, true), sorted, true);
    }
  }

  /** Writes the observed table and checks (or rewrites) section {@code name} of {@code doc}. */
  private void check(Path doc, String name, String table, List<Row> sorted, boolean brief)
      throws IOException {
    Path module = Path.of("").toAbsolutePath();
    Path observed = module.resolve("target/bad-input/" + name + ".md");
    Files.createDirectories(observed.getParent());
    Files.writeString(observed, table, StandardCharsets.UTF_8);
    String text = Files.readString(doc, StandardCharsets.UTF_8);
    String begin = "<!-- begin " + name + " -->\n";
    String end = "<!-- end " + name + " -->";
    int b = text.indexOf(begin);
    int e = text.indexOf(end);
    assertThat(b).as("%s has no section %s", doc, begin.strip()).isNotNegative();
    assertThat(e).as("%s has no end of section %s", doc, name).isGreaterThan(b);
    if (Boolean.getBoolean("tfprune.writeBadInputDoc")) {
      Files.writeString(doc, text.substring(0, b + begin.length()) + table
          + text.substring(e), StandardCharsets.UTF_8);
      return;
    }
    String documented = text.substring(b + begin.length(), e);
    for (Row row : sorted) {
      String command = brief ? "`" + subcommand(row) + "`" : "`" + escape(row.command()) + "`";
      Optional<String[]> cells = documented.lines().map(BadInputTable::cells)
          .filter(c -> c.length == 4 && c[0].equals(escape(row.name()))
              && c[1].equals(command))
          .findFirst();
      assertThat(cells).as("%s documents case '%s' with command %s (observed table: %s; "
          + "regenerate with -Dtfprune.writeBadInputDoc=true)", doc, row.name(), row.command(),
          observed).isPresent();
      assertThat(cells.get()[2]).as("documented exit code of '%s'", row.name())
          .isEqualTo(Integer.toString(row.exitCode()));
      for (String f : row.fragments()) {
        assertThat(cells.get()[3]).as("documented message of '%s'", row.name())
            .contains(escape(f));
      }
    }
  }

  /** The table: with each case's whole command, or ({@code brief}) its subcommand alone. */
  private static String table(List<Row> rows, boolean brief) {
    StringBuilder t = new StringBuilder(brief ? "| input | command | exit | message |\n"
        : "| Case | Command | Exit | Message |\n");
    t.append("| --- | --- | --- | --- |\n");
    for (Row r : rows) {
      t.append("| ").append(escape(r.name())).append(" | `")
          .append(brief ? subcommand(r) : escape(r.command()))
          .append("` | ").append(r.exitCode()).append(" | ").append(escape(r.message()))
          .append(" |\n");
    }
    return t.toString();
  }

  /** {@code train}, {@code prune} or {@code evaluate}: the word after {@code tf-prune}. */
  private static String subcommand(Row r) {
    String[] words = r.command().split(" ");
    return words.length > 1 ? words[1] : r.command();
  }

  private static String escape(String s) {
    return s.replace("|", "\\|").replace("\n", " ");
  }

  /** The cells of a table row {@code | a | b | c | d |}, trimmed; none for other lines. */
  private static String[] cells(String line) {
    String l = line.strip();
    if (!l.startsWith("|") || !l.endsWith("|") || l.length() < 2) {
      return new String[0];
    }
    String[] c = l.substring(1, l.length() - 1).split("(?<!\\\\)\\|", -1);
    for (int i = 0; i < c.length; i++) {
      c[i] = c[i].strip();
    }
    return c;
  }

  /** {@code docs/bad-input.md} of the repository holding this module. */
  static Path docFile() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path doc = dir.resolve("docs/bad-input.md");
      if (Files.isRegularFile(doc)) {
        return doc;
      }
    }
    throw new UncheckedIOException(new IOException("docs/bad-input.md not found above "
        + Path.of("").toAbsolutePath()));
  }
}
