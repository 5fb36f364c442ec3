package org.tfprune.train;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.train.ApplyMomentum;
import org.tensorflow.types.TFloat32;
import org.tfprune.build.HostVariables;
import org.tfprune.slice.HostTensor;

/**
 * The weight update in the graph, with a learning rate fed at every step (so schedules work) and
 * its state (Adam moments and beta powers, or momentum accumulators) in named variables
 * ({@code <key>/adam_m}, ... where {@code key} is the variable's parameter key, e.g.
 * {@code dense0/kernel}), which a later rebuild or checkpoint can read and slice.
 */
final class WeightOptimizer {
  private final List<Op> initOps = new ArrayList<>();
  private final HostVariables slots = new HostVariables();
  private final String name;
  private final Op update;

  WeightOptimizer(Ops tf, OptimizerSpec spec, List<String> keys, List<Variable<TFloat32>> vars,
      List<Output<TFloat32>> grads, Operand<TFloat32> learningRate, String name) {
    checkArgument(keys.size() == vars.size(), "%s keys for %s variables", keys.size(),
        vars.size());
    this.name = name;
    Ops s = tf.withSubScope(name);
    List<Op> updates = new ArrayList<>();
    if (spec.kind() == OptimizerSpec.Kind.ADAM) {
      float b1 = (float) spec.momentum();
      float b2 = 0.999f;
      Variable<TFloat32> b1p = scalar(s, "beta1_power", b1);
      Variable<TFloat32> b2p = scalar(s, "beta2_power", b2);
      for (int i = 0; i < vars.size(); i++) {
        Variable<TFloat32> v = vars.get(i);
        String base = keys.get(i);
        Ops vs = s.withSubScope(base.replace('/', '_'));
        Variable<TFloat32> m = slot(vs, base, "adam_m", v);
        Variable<TFloat32> u = slot(vs, base, "adam_v", v);
        updates.add(vs.train.applyAdam(v, m, u, b1p, b2p, learningRate, s.constant(b1),
            s.constant(b2), s.constant(1e-7f), grads.get(i)));
      }
      Ops after = s.withControlDependencies(updates);
      Op a1 = after.assign(b1p, after.math.mul(b1p, after.constant(b1)));
      Op a2 = after.assign(b2p, after.math.mul(b2p, after.constant(b2)));
      update = s.withControlDependencies(List.of(a1, a2)).withName("update").noOp();
    } else {
      for (int i = 0; i < vars.size(); i++) {
        Variable<TFloat32> v = vars.get(i);
        String base = keys.get(i);
        Ops vs = s.withSubScope(base.replace('/', '_'));
        Variable<TFloat32> acc = slot(vs, base, "momentum", v);
        updates.add(vs.train.applyMomentum(v, acc, learningRate, grads.get(i),
            s.constant((float) spec.momentum()), ApplyMomentum.useNesterov(true)));
      }
      update = s.withControlDependencies(updates).withName("update").noOp();
    }
  }

  private Variable<TFloat32> scalar(Ops s, String name, float init) {
    Variable<TFloat32> v = s.withName(name).variable(Shape.scalar(), TFloat32.class);
    initOps.add(s.assign(v, s.constant(init)));
    slots.add(s, name, name, v);
    return v;
  }

  private Variable<TFloat32> slot(Ops s, String base, String kind, Variable<TFloat32> like) {
    Variable<TFloat32> v = s.withName(kind).variable(like.shape(), TFloat32.class);
    initOps.add(s.assign(v, s.zeros(s.constant(like.shape().asArray()), TFloat32.class)));
    slots.add(s, base + "/" + kind, kind, v);
    return v;
  }

  /** The optimizer's name, unique in its graph; its state is saved and restored under it. */
  String name() {
    return name;
  }

  /**
   * Reads the state: slots named {@code <variable>/<kind>} (e.g. {@code dense0/kernel/adam_m})
   * and scalars such as {@code beta1_power}.
   */
  Map<String, HostTensor> readState(Session session) {
    return slots.read(session);
  }

  /** Sets the whole state from {@link #readState} values (sliced to this graph's shapes). */
  void restoreState(Session session, Map<String, HostTensor> state) {
    checkArgument(state.keySet().equals(slots.keys()),
        "optimizer %s state holds %s but the graph needs %s", name, state.keySet(),
        slots.keys());
    slots.assign(session, state);
  }

  /** The op that applies one update. */
  Op update() {
    return update;
  }

  /** Sets the optimizer state to its initial values. */
  void initialize(Session session) {
    Session.Runner r = session.runner();
    initOps.forEach(r::addTarget);
    r.run().close();
  }

}
