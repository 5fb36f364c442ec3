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
 * Training step time of several trainings measured side by side: all run in this process and
 * take turns, each training a block of steps (from one progress report to the next) while the
 * others wait, so a slow phase of the machine falls on all alike. Blocks of the first epoch
 * (one-time graph set-up), blocks that span an epoch's end (evaluation) and blocks after a
 * rebuild or a resume (graph set-up) are not timed. When one training fails, the others stop at
 * their next turn and the failure is thrown.
 */
public final class InterleavedSteps {
  /**
   * Milliseconds per step of each training's timed blocks, in the order they ran: block {@code
   * j} of every training ran in the same round of turns.
   */
  public record Blocks(ImmutableList<ImmutableList<Double>> ms) {
    /** The timed blocks of training {@code i}. */
    public double[] of(int i) {
      return ms.get(i).stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Per-round ratios training {@code i} / training 0, over the rounds both have. */
    public double[] ratios(int i) {
      int n = Math.min(ms.get(0).size(), ms.get(i).size());
      double[] r = new double[n];
      for (int j = 0; j < n; j++) {
        r[j] = ms.get(i).get(j) / ms.get(0).get(j);
      }
      return r;
    }
  }

  private InterleavedSteps() {}

  /**
   * Runs every training to the end, taking turns in order at every progress report.
   *
   * @param runs trainings that report progress to the listener they are given
   */
  public static Blocks compare(List<Consumer<TrainingListener>> runs) {
    checkArgument(!runs.isEmpty(), "nothing to time");
    int n = runs.size();
    Semaphore[] turn = new Semaphore[n];
    boolean[] done = new boolean[n];
    List<List<Double>> blocks = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      turn[k] = new Semaphore(0);
      blocks.add(new ArrayList<>());
    }
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread[] threads = new Thread[n];
    for (int k = 0; k < n; k++) {
      int me = k;
      threads[k] = new Thread(() -> {
        turn[me].acquireUninterruptibly();
        try {
          if (failure.get() != null) {
            return; // another training failed before this one started
          }
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
                turn[nextAlive(done, me)].release(); // this one when the others are done
              }
              turn[me].acquireUninterruptibly();
              if (failure.get() != null) {
                throw new Aborted(); // another training failed: stop this one too
              }
              epoch = p.epoch();
              step = p.step();
              start = System.nanoTime();
            }

            @Override
            public void onRebuild(int e, int s, double before, double after) {
              epoch = -1; // the next block pays for building the new graph: not timed
            }

            @Override
            public void onResume(int e, int s, long globalStep) {
              epoch = -1;
            }
          });
        } catch (Aborted a) {
          // stopped because another training failed
        } catch (Throwable t) {
          if (!failure.compareAndSet(null, t)) {
            failure.get().addSuppressed(t);
          }
        } finally {
          synchronized (done) {
            done[me] = true;
            int next = nextAlive(done, me);
            if (next >= 0) {
              turn[next].release();
            }
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
    Throwable f = failure.get();
    if (f instanceof RuntimeException r) {
      throw r;
    } else if (f instanceof Error e) {
      throw e;
    } else if (f != null) {
      throw new IllegalStateException(f);
    }
    return new Blocks(blocks.stream().map(ImmutableList::copyOf)
        .collect(ImmutableList.toImmutableList()));
  }

  /** Ends a training early because another one failed. */
  private static final class Aborted extends RuntimeException {
    Aborted() {
      super(null, null, false, false);
    }
  }

  /** The next training after {@code me}, in turn order, that has not finished (-1: none). */
  private static int nextAlive(boolean[] done, int me) {
    for (int j = 1; j <= done.length; j++) {
      int c = (me + j) % done.length;
      if (!done[c]) {
        return c;
      }
    }
    return -1;
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
