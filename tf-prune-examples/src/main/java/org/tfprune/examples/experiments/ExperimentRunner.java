package org.tfprune.examples.experiments;

import com.google.common.collect.ImmutableList;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs the selected suites one after the other into a {@link ResultsDirectory}: plots go straight
 * to its temporary directory, results.md and results.json are rewritten after every suite (so a
 * failed run keeps what it finished), and the directory is moved into place at the end.
 */
public final class ExperimentRunner {
  private final ExperimentPlan plan;
  private final List<Suite> suites;
  private final Map<String, Path> dataDirs;
  private final int threads;

  public ExperimentRunner(ExperimentPlan plan, List<Suite> suites, Map<String, Path> dataDirs,
      int threads) {
    this.plan = plan;
    this.suites = List.copyOf(suites);
    this.dataDirs = Map.copyOf(dataDirs);
    this.threads = threads;
  }

  /** Runs everything; returns the results, already moved to {@code out.target()}. */
  public ExperimentResults run(ResultsDirectory out, String command,
      ExperimentProgress progress) {
    System.setProperty("java.awt.headless", "true");
    ExperimentContext ctx = new ExperimentContext(plan, dataDirs, progress, out.temporary(),
        threads);
    String started = ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
    long t0 = System.nanoTime();
    List<SuiteResult> done = new ArrayList<>();
    for (Suite s : suites) {
      long s0 = System.nanoTime();
      done.add(s.run(ctx).withWallSeconds((System.nanoTime() - s0) / 1e9));
      ResultsWriter.write(out.temporary(), results(command, started, t0, false, done));
      progress.note(String.format("== suite %s finished in %s; partial results in %s", s.name(),
          ExperimentProgress.duration((System.nanoTime() - s0) / 1e9), out.temporary()));
    }
    ExperimentResults r = results(command, started, t0, true, done);
    ResultsWriter.write(out.temporary(), r);
    out.commit();
    return r;
  }

  private ExperimentResults results(String command, String started, long t0, boolean complete,
      List<SuiteResult> done) {
    return new ExperimentResults(command, plan.size(), plan, started,
        (System.nanoTime() - t0) / 1e9, Runtime.getRuntime().availableProcessors(), complete,
        ImmutableList.copyOf(done));
  }
}
