package org.tfprune.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tfprune.testing.Tf;

/**
 * Prefetched gate draws are the draws of the step asked for: the same values as drawing that
 * step directly, when steps follow each other, when one is skipped (a resume) and when the batch
 * size changes.
 */
class GateDrawsTest {
  @Test
  void prefetchedDrawsEqualDirectDraws() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> perExample = tf.placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 5)));
      Placeholder<TFloat32> perBatch = tf.placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(7)));
      Map<String, Operand<TFloat32>> targets = new LinkedHashMap<>();
      targets.put("units", perExample);
      targets.put("input", perBatch);
      try (GateDraws.Source prefetching = new GateDraws.Source(targets, 42);
          GateDraws.Source direct = new GateDraws.Source(targets, 42)) {
        long[][] steps = {{0, 4}, {1, 4}, {2, 4}, {7, 4}, {8, 3}, {9, 3}};
        for (long[] st : steps) {
          try (GateDraws a = prefetching.next(st[0], (int) st[1]);
              GateDraws b = direct.draw(st[0], (int) st[1])) {
            for (Operand<TFloat32> t : List.of(perExample, perBatch)) {
              float[] v = values(s, a, t);
              assertThat(v).as("step %s", st[0]).containsExactly(values(s, b, t));
              for (float x : v) {
                // negated uniforms: -u for u in [0, 1)
                assertThat(x).isLessThanOrEqualTo(0f).isGreaterThan(-1f);
              }
            }
          }
        }
      }
    }
  }

  private static float[] values(Session s, GateDraws d, Operand<TFloat32> target) {
    Session.Runner r = s.runner();
    d.feedInto(r);
    try (var res = r.fetch(Ops.create(s.graph()).identity(target)).run()) {
      return Tf.values(res.get(0));
    }
  }
}
