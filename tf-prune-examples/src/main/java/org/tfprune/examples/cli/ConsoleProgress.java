package org.tfprune.examples.cli;

import java.io.PrintWriter;
import java.util.Map;
import org.tfprune.train.EpochStats;
import org.tfprune.train.StepProgress;
import org.tfprune.train.TrainingListener;

/**
 * Prints training progress: a line per pruning check (epoch, step, loss, live units per gate
 * group, % MACs left) and a summary line per epoch (with test accuracy and wall time). On a
 * terminal the step line is rewritten in place; in logs every line is kept.
 */
final class ConsoleProgress implements TrainingListener {
  private final PrintWriter out;
  private final String label;
  private final boolean terminal;
  private final boolean quiet;

  ConsoleProgress(PrintWriter out, String label, boolean quiet) {
    this.out = out;
    this.label = label;
    this.terminal = System.console() != null;
    this.quiet = quiet;
  }

  @Override
  public void onStep(StepProgress p) {
    if (quiet || (!terminal && p.step() != p.stepsPerEpoch() && p.step() % (p.stepsPerEpoch() / 2 + 1) != 0)) {
      return;
    }
    String line = String.format("[%s] epoch %d/%d step %d/%d  loss %.4f  objective %.4f%s%s",
        label, p.epoch(), p.epochs(), p.step(), p.stepsPerEpoch(), p.dataLoss(), p.objective(),
        live(p.liveWidths()), p.liveWidths().isEmpty() ? ""
            : String.format("  MACs %.2f%%", 100 * p.macsFraction()));
    if (terminal) {
      out.print("\r" + line + "   ");
      out.flush();
    } else {
      out.println(line);
    }
  }

  @Override
  public void onEpoch(EpochStats e) {
    if (terminal && !quiet) {
      out.print("\r");
    }
    out.printf("[%s] epoch %d %-8s loss %.4f  test acc %.2f%%%s%s  (%.1fs, training graph "
        + "%,.0f MACs)%n", label, e.epoch(), e.phase(), e.dataLoss(), 100 * e.testAccuracy(),
        live(e.liveWidths()), e.liveWidths().isEmpty() ? ""
            : String.format("  MACs %.2f%%  binary theta %.1f%%", 100 * e.macsFraction(),
                100 * e.binaryFraction()), e.seconds(), e.trainingMacs());
  }

  @Override
  public void onFinetuneStart(int epoch, double binaryFraction) {
    out.printf("[%s] structure settled: fine-tuning weights with deterministic gates from epoch "
        + "%d (%.2f%% of theta were within 0.01 of 0 or 1 and are now rounded)%n", label, epoch,
        100 * binaryFraction);
  }

  @Override
  public void onBudgetReached(int epoch, int step, double macsFraction, double paramsFraction) {
    out.printf("[%s] budget reached at epoch %d, step %d: the structure kept (%.2f%% of the "
        + "MACs, %.2f%% of the params) is fixed, and the weights are fine-tuned from here%n",
        label, epoch, step, 100 * macsFraction, 100 * paramsFraction);
  }

  @Override
  public void onResume(int epoch, int step, long globalStep) {
    out.printf("[%s] resuming from the checkpoint at epoch %d, step %d (%d steps done)%n", label,
        epoch, step, globalStep);
  }

  @Override
  public void onRebuild(int epoch, int step, double macsBefore, double macsAfter) {
    if (terminal && !quiet) {
      out.print("\r");
    }
    out.printf("[%s] rebuilt the training graph without frozen structures at epoch %d step %d: "
        + "%,.0f -> %,.0f MACs per example%n", label, epoch, step, macsBefore, macsAfter);
  }

  private static String live(Map<String, Integer> widths) {
    if (widths.isEmpty()) {
      return "";
    }
    StringBuilder s = new StringBuilder("  live");
    widths.forEach((k, v) -> s.append(' ').append(k).append('=').append(v));
    return s.toString();
  }
}
