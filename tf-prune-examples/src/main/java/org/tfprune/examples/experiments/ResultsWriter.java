package org.tfprune.examples.experiments;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.guava.GuavaModule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Writes {@code results.md} and {@code results.json} into a results directory. */
public final class ResultsWriter {
  public static final String MARKDOWN = "results.md";
  public static final String JSON = "results.json";

  private static final ObjectMapper MAPPER = new ObjectMapper().registerModule(new GuavaModule())
      .enable(SerializationFeature.INDENT_OUTPUT);

  private ResultsWriter() {}

  /** Writes both files into {@code dir}. */
  public static void write(Path dir, ExperimentResults results) {
    try {
      Files.writeString(dir.resolve(MARKDOWN), markdown(results), StandardCharsets.UTF_8);
      Files.write(dir.resolve(JSON), MAPPER.writeValueAsBytes(results));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the results into " + dir + ": "
          + e.getMessage() + "; check that the directory is writable and the disk has space", e);
    }
  }

  /** The JSON reader matching what {@link #write} writes. */
  public static ObjectMapper mapper() {
    return MAPPER.copy();
  }

  /** The results as Markdown: the claims first, then each suite with its tables and plots. */
  public static String markdown(ExperimentResults r) {
    StringBuilder s = new StringBuilder();
    s.append("# tf-prune experiments, size ").append(r.size())
        .append(r.complete() ? "" : " (incomplete: suites still running)").append("\n\n");
    s.append("Command: `").append(r.command()).append("`  \n");
    s.append(String.format(Locale.ROOT, "Started %s; wall time %s on %d processors.%n%n",
        r.started(), ExperimentProgress.duration(r.wallSeconds()), r.processors()));
    MarkdownTable.Builder claims = MarkdownTable.builder("Claims", "suite", "claim", "measured",
        "holds");
    for (SuiteResult suite : r.suites()) {
      for (Claim c : suite.claims()) {
        claims.row(c.suite(), c.statement(), c.measured(), Cells.yesNo(c.holds()));
      }
    }
    s.append(claims.build().toMarkdown()).append('\n');
    if (!r.size().equals("full")) {
      s.append("Size ").append(r.size()).append(" holds the claims to loose bounds on data "
          + "slices and few epochs: it checks directions, not the numbers of the full size.\n\n");
    }
    for (SuiteResult suite : r.suites()) {
      s.append("## ").append(suite.title()).append(" (`").append(suite.name()).append("`)\n\n");
      s.append(suite.summary()).append(" Wall time ")
          .append(ExperimentProgress.duration(suite.wallSeconds())).append(".\n\n");
      suite.tables().forEach(t -> s.append(t.toMarkdown()).append('\n'));
      for (Plot p : suite.plots()) {
        s.append("![").append(p.caption()).append("](").append(p.file()).append(")\n\n*")
            .append(p.caption()).append("*\n\n");
      }
      suite.notes().forEach(n -> s.append("- ").append(n).append('\n'));
      if (!suite.notes().isEmpty()) {
        s.append('\n');
      }
      if (!suite.runs().isEmpty()) {
        s.append(runs("Every run of this suite", suite.runs()).toMarkdown()).append('\n');
      }
    }
    return s.toString();
  }

  /** One row per run: what it was, what it became, and the end-of-run theta check. */
  static MarkdownTable runs(String title, List<RunSummary> runs) {
    MarkdownTable.Builder t = MarkdownTable.builder(title, "run", "method", "start",
        "final widths", "MACs", "MACs %", "params", "test acc %", "theta binary", "binary ok",
        "90% epoch", "train s");
    for (RunSummary r : runs) {
      t.row(r.label(), r.method(), r.startWidths(), r.widths(), r.macs(),
          Cells.pct(r.macsPercent(), 2), r.params(), Cells.num(r.accuracyPercent(), 2),
          r.binaryFraction() == null ? "-" : Cells.pct(100 * r.binaryFraction(), 2),
          r.binaryOk() == null ? "-" : Cells.yesNo(r.binaryOk()),
          r.epochOf90() == null ? "-" : r.epochOf90() + "/" + r.epochs(),
          Cells.num(r.trainSeconds(), 0));
    }
    return t.build();
  }
}
