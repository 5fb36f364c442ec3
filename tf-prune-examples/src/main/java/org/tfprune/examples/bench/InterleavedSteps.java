package org.tfprune.examples.bench;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.tfprune.train.StepProgress;
import org.tfprune.train.TrainingListener;

/**
 * Training step time of two trainings measured side by side: both run in this process and take
 * turns, each training a block of steps (from one progress report to the next) while the other
 * waits, so a slow phase of the machine falls on both alike. Blocks of the first epoch (one-time
 * graph set-up) and blocks that span an epoch's end (evaluation) are not timed.
 */
public final class InterleavedSteps {
  /**
   * Milliseconds per step of each timed block, in the order they ran: block {@code i} of the
   * second training ran right after block {@code i} of the first.
   */
  public record Blocks(ImmutableList<Double> firstMs, ImmutableList<Double> secondMs) {
    /** Per-block ratios second / first, over the blocks both have. */
    public double[] ratios() {
      int n = Math.min(firstMs.size(), secondMs.size());
      double[] r = new double[n];
      for (int i = 0; i < n; i++) {
        r[i] = secondMs.get(i) / firstMs.get(i);
      }
      return r;
    }
  }

  private InterleavedSteps() {}

  /**
   * Runs both trainings to the end, taking turns at every progress report.
   *
   * @param first a training that reports progress to the listener it is given
   * @param second another one
   */
  public static Blocks compare(Consumer<TrainingListener> first,
      Consumer<TrainingListener> second) {
    Semaphore[] turn = {new Semaphore(0), new Semaphore(0)};
    boolean[] done = new boolean[2];
    List<List<Double>> blocks = List.of(new ArrayList<>(), new ArrayList<>());
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Consumer<TrainingListener>> runs = List.of(first, second);
    Thread[] threads = new Thread[2];
    for (int k = 0; k < 2; k++) {
      int me = k;
      int other = 1 - k;
      threads[k] = new Thread(() -> {
        turn[me].acquireUninterruptibly();
        try {
          runs.get(me).accept(new TrainingListener() {
            long start = System.nanoTime();
            int epoch = -1;
            int step = -1;

            @Override
            public void onStep(StepProgress p) {
              long now = System.nanoTime();
              if (p.epoch() > 1 && p.epoch() == epoch && p.step() > step) {
                blocks.get(me).add((now - start) / 1e6 / (p.step() - step));
              }
              synchronized (done) {
                if (!done[other]) {
                  turn[other].release();
                } else {
                  turn[me].release(); // nobody to wait for
                }
              }
              turn[me].acquireUninterruptibly();
              epoch = p.epoch();
              step = p.step();
              start = System.nanoTime();
            }
          });
        } catch (Throwable t) {
          failure.compareAndSet(null, t);
        } finally {
          synchronized (done) {
            done[me] = true;
            turn[other].release();
          }
        }
      }, "tf-prune-bench-" + k);
      threads[k].setDaemon(true);
    }
    for (Thread t : threads) {
      t.start();
    }
    turn[0].release();
    for (Thread t : threads) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while timing training steps", e);
      }
    }
    if (failure.get() != null) {
      if (failure.get() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(failure.get());
    }
    return new Blocks(ImmutableList.copyOf(blocks.get(0)), ImmutableList.copyOf(blocks.get(1)));
  }

  /** The {@code q}-quantile of {@code values} (linear interpolation; q = 0.5 is the median). */
  public static double quantile(double[] values, double q) {
    checkArgument(values.length > 0, "no values");
    checkArgument(q >= 0 && q <= 1, "quantile must be in [0, 1], got %s", q);
    double[] s = values.clone();
    Arrays.sort(s);
    double pos = q * (s.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(lo + 1, s.length - 1);
    return s[lo] + (pos - lo) * (s[hi] - s[lo]);
  }
}
