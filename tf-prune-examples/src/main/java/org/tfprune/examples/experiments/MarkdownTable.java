package org.tfprune.examples.experiments;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import java.util.List;

/** A titled table of text cells, rendered as a GitHub Markdown table. Immutable. */
public record MarkdownTable(String title, ImmutableList<String> headers,
    ImmutableList<ImmutableList<String>> rows) {
  public MarkdownTable {
    checkNotNull(title, "title");
    checkArgument(!headers.isEmpty(), "table '%s' has no columns", title);
    for (List<String> r : rows) {
      checkArgument(r.size() == headers.size(), "table '%s': a row has %s cells, the header %s",
          title, r.size(), headers.size());
    }
  }

  /** Starts a table with the given column headers. */
  public static Builder builder(String title, String... headers) {
    return new Builder(title, ImmutableList.copyOf(headers));
  }

  /** The table as Markdown: a bold title line, then the header, separator and rows. */
  public String toMarkdown() {
    StringBuilder s = new StringBuilder();
    if (!title.isEmpty()) {
      s.append("**").append(title).append("**\n\n");
    }
    line(s, headers);
    s.append('|');
    headers.forEach(h -> s.append("---|"));
    s.append('\n');
    rows.forEach(r -> line(s, r));
    return s.toString();
  }

  private static void line(StringBuilder s, List<String> cells) {
    s.append('|');
    for (String c : cells) {
      s.append(' ').append(c.replace("|", "\\|").replace("\n", " ")).append(" |");
    }
    s.append('\n');
  }

  /** Collects rows. */
  public static final class Builder {
    private final String title;
    private final ImmutableList<String> headers;
    private final ImmutableList.Builder<ImmutableList<String>> rows = ImmutableList.builder();

    private Builder(String title, ImmutableList<String> headers) {
      this.title = title;
      this.headers = headers;
    }

    public Builder row(Object... cells) {
      ImmutableList.Builder<String> r = ImmutableList.builder();
      for (Object c : cells) {
        r.add(String.valueOf(c));
      }
      rows.add(r.build());
      return this;
    }

    public MarkdownTable build() {
      return new MarkdownTable(title, headers, rows.build());
    }
  }
}
