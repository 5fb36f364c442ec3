package org.tfprune.train;

import com.google.common.util.concurrent.Futures;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

/**
 * The uniform draws behind one training step's gate samples (negated, as the graph takes them),
 * made on the host from the run's seed and the step number: cheaper than sampling in the graph,
 * and a resumed or rebuilt run draws for step {@code t} exactly what an uninterrupted one would
 * for the same gate groups.
 */
final class GateDraws implements AutoCloseable {
  static final GateDraws NONE = new GateDraws(Map.of());

  private final Map<Operand<TFloat32>, TFloat32> tensors;

  private GateDraws(Map<Operand<TFloat32>, TFloat32> tensors) {
    this.tensors = tensors;
  }

  void feedInto(Session.Runner runner) {
    tensors.forEach(runner::feed);
  }

  @Override
  public void close() {
    tensors.values().forEach(TFloat32::close);
  }

  /**
   * Makes the draws of each step for a graph's gate groups. {@link #next} draws the following
   * step's on a background thread while the caller runs the current one: the draws depend only
   * on the seed, the step and the group, so prefetching changes no value.
   */
  static final class Source implements AutoCloseable {
    private final Map<String, Operand<TFloat32>> targets;
    private final long seed;
    private final Map<String, float[]> buffers = new LinkedHashMap<>();
    private ExecutorService prefetch;
    private Future<GateDraws> pending;
    private long pendingStep;
    private int pendingBatch;

    Source(Map<String, Operand<TFloat32>> targets, long seed) {
      this.targets = targets;
      this.seed = seed;
    }

    /**
     * The draws for {@code step} (the caller closes them), and starts drawing {@code step + 1}'s
     * in the background.
     */
    GateDraws next(long step, int batch) {
      GateDraws d = takePending(step, batch);
      if (d == null) {
        d = draw(step, batch);
      }
      if (prefetch == null) {
        prefetch = Executors.newSingleThreadExecutor(r -> {
          Thread t = new Thread(r, "tf-prune-gate-draws");
          t.setDaemon(true);
          return t;
        });
      }
      long following = step + 1;
      pending = prefetch.submit(() -> draw(following, batch));
      pendingStep = following;
      pendingBatch = batch;
      return d;
    }

    /** The prefetched draws if they are {@code step}'s; others are closed. */
    private GateDraws takePending(long step, int batch) {
      if (pending == null) {
        return null;
      }
      GateDraws d = Futures.getUnchecked(pending);
      pending = null;
      if (pendingStep == step && pendingBatch == batch) {
        return d;
      }
      d.close();
      return null;
    }

    @Override
    public void close() {
      takePending(-1, -1);
      if (prefetch != null) {
        prefetch.shutdown();
      }
    }

    /** Draws for {@code step}; per-example groups get {@code batch} rows. */
    GateDraws draw(long step, int batch) {
      Map<Operand<TFloat32>, TFloat32> out = new LinkedHashMap<>();
      List<TFloat32> made = new ArrayList<>();
      try {
        for (Map.Entry<String, Operand<TFloat32>> e : targets.entrySet()) {
          Operand<TFloat32> target = e.getValue();
          long n = e.getValue().shape().size(e.getValue().shape().numDimensions() - 1);
          boolean perExample = e.getValue().shape().numDimensions() == 2;
          int size = (int) (perExample ? n * batch : n);
          float[] u = buffers.computeIfAbsent(e.getKey(), k -> new float[size]);
          if (u.length != size) {
            u = new float[size];
            buffers.put(e.getKey(), u);
          }
          // one stream per group and step: independent of the other groups, so a rebuild that
          // removes a group leaves the others' draws unchanged
          SplittableRandom r = new SplittableRandom(mix(seed, step, e.getKey().hashCode()));
          for (int i = 0; i < size; i++) {
            u[i] = -((r.nextInt() >>> 8) * 0x1.0p-24f); // the graph takes -u
          }
          TFloat32 t = TFloat32.tensorOf(perExample ? Shape.of(batch, n) : Shape.of(n),
              DataBuffers.of(u, true, false));
          made.add(t);
          out.put(target, t);
        }
      } catch (RuntimeException ex) {
        made.forEach(TFloat32::close);
        throw ex;
      }
      return new GateDraws(out);
    }

    private static long mix(long seed, long step, int salt) {
      long z = seed * 0x9E3779B97F4A7C15L + step * 0xBF58476D1CE4E5B9L + salt;
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      return z ^ (z >>> 31);
    }
  }
}
