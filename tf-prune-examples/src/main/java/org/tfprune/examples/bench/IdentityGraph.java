package org.tfprune.examples.bench;

import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * A graph of one {@code Identity} op fed like a model (same input shape), served in this JVM:
 * its calls cost what any call costs beyond the model's ops (feed, fetch, executor start), the
 * floor under a model's latency.
 */
public final class IdentityGraph implements AutoCloseable {
  private final Graph graph;
  private final Session session;
  private final LatencyBenchmark.Target target;

  /** An identity graph taking examples of {@code exampleShape}. */
  public IdentityGraph(long[] exampleShape) {
    graph = new Graph();
    try {
      Ops tf = Ops.create(graph);
      long[] shape = new long[exampleShape.length + 1];
      shape[0] = -1;
      System.arraycopy(exampleShape, 0, shape, 1, exampleShape.length);
      Placeholder<TFloat32> x = tf.withName("input").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(shape)));
      tf.withName("output").identity(x);
      session = new Session(graph);
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
    int size = 1;
    for (long d : exampleShape) {
      size *= (int) d;
    }
    target = new LatencyBenchmark.Target(session, "input:0", "output:0", size,
        exampleShape.clone());
  }

  /** What to time. */
  public LatencyBenchmark.Target target() {
    return target;
  }

  @Override
  public void close() {
    session.close();
    graph.close();
  }
}
