package org.tfprune.examples.experiments;

import java.io.PrintWriter;
import java.util.Locale;
import org.tfprune.train.EpochStats;

/**
 * Progress of a long experiment run: a line when a run starts and when it ends (with its result,
 * the suite's elapsed time and an estimate of what is left), and, unless quiet, a line per epoch.
 */
public final class ExperimentProgress {
  private final PrintWriter out;
  private final boolean quiet;
  private String suite = "";
  private int planned;
  private int done;
  private long suiteStart;
  private long runStart;
  private double trainedSeconds;
  private int trainedRuns;

  public ExperimentProgress(PrintWriter out, boolean quiet) {
    this.out = out;
    this.quiet = quiet;
  }

  /** A suite starts that will take about {@code plannedRuns} training runs. */
  public void startSuite(String name, int plannedRuns) {
    suite = name;
    planned = plannedRuns;
    done = 0;
    trainedSeconds = 0;
    trainedRuns = 0;
    suiteStart = System.nanoTime();
    out.printf(Locale.ROOT, "== suite %s: about %d training runs%n", name, plannedRuns);
    out.flush();
  }

  /** A training run starts. */
  public void runStarted(String label) {
    runStart = System.nanoTime();
    out.printf(Locale.ROOT, "[%s %d/%d] %s ...%n", suite, done + 1, Math.max(planned, done + 1),
        label);
    out.flush();
  }

  /** An epoch of the current run ended. */
  public void epoch(EpochStats e) {
    if (quiet) {
      return;
    }
    out.printf(Locale.ROOT, "    epoch %d %-8s loss %.4f  acc %.2f%%  MACs %.2f%%  binary %.1f%%"
            + "  (%.1fs)%n", e.epoch(), e.phase(), e.dataLoss(), 100 * e.testAccuracy(),
        100 * e.macsFraction(), 100 * e.binaryFraction(), e.seconds());
    out.flush();
  }

  /** The current run ended (or was found in the cache). */
  public void runFinished(RunSummary s, boolean cached) {
    done++;
    double seconds = (System.nanoTime() - runStart) / 1e9;
    if (!cached) {
      trainedSeconds += seconds;
      trainedRuns++;
    }
    double elapsed = (System.nanoTime() - suiteStart) / 1e9;
    int left = Math.max(0, planned - done);
    String eta = trainedRuns == 0 ? "" : String.format(Locale.ROOT, ", about %s left",
        duration(left * trainedSeconds / trainedRuns));
    out.printf(Locale.ROOT, "[%s %d/%d] %s %s: %s, MACs %.2f%%, acc %.2f%%%s (%s; suite %s%s)%n",
        suite, done, Math.max(planned, done), cached ? "cached" : "done", s.label(), s.widths(),
        s.macsPercent(), s.accuracyPercent(), s.binaryFraction() == null ? ""
            : String.format(Locale.ROOT, ", binary %.2f%%", 100 * s.binaryFraction()),
        duration(seconds), duration(elapsed), eta);
    out.flush();
  }

  /** A free-form line. */
  public void note(String line) {
    out.println(line);
    out.flush();
  }

  /** {@code 1h02m}, {@code 3m05s} or {@code 12s}. */
  public static String duration(double seconds) {
    long s = Math.round(seconds);
    if (s >= 3600) {
      return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60);
    }
    return s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : s + "s";
  }
}
