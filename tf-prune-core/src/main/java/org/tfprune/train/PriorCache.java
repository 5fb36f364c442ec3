package org.tfprune.train;

import static com.google.common.base.Preconditions.checkState;

import com.google.common.collect.ImmutableMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Session;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tfprune.build.HostVariables;
import org.tfprune.loss.TensorCache;
import org.tfprune.slice.HostTensor;

/**
 * The objective's slowly changing terms held in variables of a training graph: refreshed every
 * {@code normRefreshEvery} steps, saved with checkpoints and carried through rebuilds.
 */
final class PriorCache {
  private final HostVariables variables = new HostVariables();

  /**
   * A cache whose variables the ops added to {@code refresh} recompute (each cache gets its own
   * {@code prior_cache} scope of {@code tf}).
   */
  TensorCache refreshedBy(Ops tf, List<Op> refresh) {
    Ops cacheOps = tf.withSubScope("prior_cache");
    return (name, live) -> {
      String id = name.replace('/', '_') + "_" + variables.keys().size();
      Variable<TFloat32> v = cacheOps.withName(id).variable(live.shape(), TFloat32.class);
      refresh.add(cacheOps.assign(v, live));
      variables.add(cacheOps, id, id, v);
      return v;
    };
  }

  /** Sets the cached terms to {@code saved}, which must hold exactly this graph's. */
  void restore(Session session, Map<String, HostTensor> saved) {
    checkState(saved.keySet().equals(variables.keys()),
        "saved prior cache %s does not fit the graph's %s", saved.keySet(), variables.keys());
    variables.assign(session, saved);
  }

  ImmutableMap<String, HostTensor> read(Session session) {
    return ImmutableMap.copyOf(variables.read(session));
  }
}
