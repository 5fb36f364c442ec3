package org.tfprune.examples.experiments;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a suite found: a title and summary, tables, plots, checked claims, notes, every run it
 * used, extra data for the JSON output, and its wall time.
 */
public record SuiteResult(String name, String title, String summary,
    ImmutableList<MarkdownTable> tables, ImmutableList<Plot> plots, ImmutableList<Claim> claims,
    ImmutableList<String> notes, ImmutableList<RunSummary> runs,
    ImmutableMap<String, Object> data, double wallSeconds) {

  /** This result with its wall time set. */
  public SuiteResult withWallSeconds(double seconds) {
    return new SuiteResult(name, title, summary, tables, plots, claims, notes, runs, data,
        seconds);
  }

  public static Builder builder(String name, String title) {
    return new Builder(name, title);
  }

  /** Collects a suite's outputs. */
  public static final class Builder {
    private final String name;
    private final String title;
    private String summary = "";
    private final ImmutableList.Builder<MarkdownTable> tables = ImmutableList.builder();
    private final ImmutableList.Builder<Plot> plots = ImmutableList.builder();
    private final ImmutableList.Builder<Claim> claims = ImmutableList.builder();
    private final ImmutableList.Builder<String> notes = ImmutableList.builder();
    private final Map<String, RunSummary> runs = new LinkedHashMap<>();
    private final Map<String, Object> data = new LinkedHashMap<>();

    private Builder(String name, String title) {
      this.name = name;
      this.title = title;
    }

    public Builder summary(String s) {
      summary = s;
      return this;
    }

    public Builder table(MarkdownTable t) {
      tables.add(t);
      return this;
    }

    public Builder plot(Plot p) {
      plots.add(p);
      return this;
    }

    /** Adds a claim checked against a bound. */
    public Builder claim(String statement, String measured, boolean holds) {
      claims.add(new Claim(name, statement, measured, holds));
      return this;
    }

    /**
     * Adds the claim that every run with gates ends with at least {@code bound} of theta within
     * 0.01 of 0 or 1 (runs of {@code method} only; null = every gated run).
     */
    public Builder claimBinary(List<RunSummary> all, String method, double bound) {
      List<RunSummary> gated = all.stream().filter(r -> r.binaryFraction() != null
          && (method == null || r.method().equals(method))).toList();
      if (gated.isEmpty()) {
        return this;
      }
      double min = gated.stream().mapToDouble(RunSummary::binaryFraction).min().orElseThrow();
      long failing = gated.stream().filter(r -> !r.binaryOk()).count();
      return claim(String.format(Locale.ROOT, "every %srun ends with >= %s of theta "
              + "within 0.01 of 0 or 1", method == null ? "" : method + " ",
              Cells.pct(100 * bound, 0)),
          String.format(Locale.ROOT, "lowest %s over %d runs; %d below", Cells.pct(
              100 * min, 2), gated.size(), failing), failing == 0);
    }

    public Builder note(String n) {
      notes.add(n);
      return this;
    }

    /** Adds a run (once: a run added again under the same label is ignored). */
    public Builder run(RunSummary r) {
      runs.putIfAbsent(r.label(), r);
      return this;
    }

    public Builder data(String key, Object value) {
      data.put(key, value);
      return this;
    }

    public SuiteResult build() {
      return new SuiteResult(name, title, summary, tables.build(), plots.build(), claims.build(),
          notes.build(), ImmutableList.copyOf(runs.values()), ImmutableMap.copyOf(data), 0);
    }
  }
}
