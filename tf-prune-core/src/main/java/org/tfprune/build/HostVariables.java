package org.tfprune.build;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;

/**
 * Named graph variables that the host reads and sets as a group (optimizer slots, cached loss
 * terms): each gets a placeholder and an assign op when registered, so values are fed, never
 * embedded in the graph as constants.
 */
public final class HostVariables {
  private final Map<String, Variable<TFloat32>> variables = new LinkedHashMap<>();
  private final Map<String, Placeholder<TFloat32>> feeds = new LinkedHashMap<>();
  private final Map<String, Op> assigns = new LinkedHashMap<>();

  /** Registers {@code v} under {@code key}; its feed ops are named after {@code opName}. */
  public void add(Ops s, String key, String opName, Variable<TFloat32> v) {
    checkArgument(!variables.containsKey(key), "variable key '%s' registered twice", key);
    Placeholder<TFloat32> p = s.withName(opName + "_value").placeholder(TFloat32.class,
        Placeholder.shape(v.shape()));
    variables.put(key, v);
    feeds.put(key, p);
    assigns.put(key, s.withName(opName + "_restore").assign(v, p));
  }

  public Set<String> keys() {
    return variables.keySet();
  }

  public Variable<TFloat32> get(String key) {
    return variables.get(key);
  }

  /** Reads every registered variable. */
  public Map<String, HostTensor> read(Session session) {
    return fetch(session, variables);
  }

  /** Reads {@code variables} to the host, keyed as given, in one run. */
  static Map<String, HostTensor> fetch(Session session,
      Map<String, ? extends Operand<TFloat32>> variables) {
    List<String> keys = new ArrayList<>(variables.keySet());
    Map<String, HostTensor> m = new LinkedHashMap<>();
    if (keys.isEmpty()) {
      return m;
    }
    Session.Runner r = session.runner();
    keys.forEach(k -> r.fetch(variables.get(k)));
    try (Result res = r.run()) {
      for (int i = 0; i < keys.size(); i++) {
        m.put(keys.get(i), HostTensor.of((TFloat32) res.get(i)));
      }
    }
    return m;
  }

  /** Sets variables from host values (any subset of the keys). */
  public void assign(Session session, Map<String, HostTensor> values) {
    feedAndAssign(session, values, feeds, assigns);
  }

  /**
   * Feeds each value to its placeholder in {@code feeds} and runs its op in {@code assigns}, all
   * in one run; every tensor made is closed.
   */
  static void feedAndAssign(Session session, Map<String, HostTensor> values,
      Map<String, Placeholder<TFloat32>> feeds, Map<String, Op> assigns) {
    if (values.isEmpty()) {
      return;
    }
    List<Tensor> tensors = new ArrayList<>();
    try {
      Session.Runner r = session.runner();
      values.forEach((k, v) -> {
        checkArgument(feeds.containsKey(k), "no variable '%s'; known: %s", k, feeds.keySet());
        Shape want = feeds.get(k).shape();
        checkArgument(want.hasUnknownDimension() || Arrays.equals(want.asArray(), v.shape()),
            "variable '%s' has shape %s but the value given has %s",
            k, want, Arrays.toString(v.shape()));
        TFloat32 t = v.toTensor();
        tensors.add(t);
        r.feed(feeds.get(k), t).addTarget(assigns.get(k));
      });
      r.run().close();
    } finally {
      tensors.forEach(Tensor::close);
    }
  }

  /**
   * Every variable's initial value: its entry of {@code params}, or ones for a variable whose
   * name ends with {@code maskSuffix} (a gate group's mask: every gate may live).
   */
  static Map<String, HostTensor> initialValues(Map<String, Variable<TFloat32>> variables,
      ParameterSet params, String maskSuffix) {
    Map<String, HostTensor> all = new LinkedHashMap<>();
    for (Map.Entry<String, Variable<TFloat32>> v : variables.entrySet()) {
      String name = v.getKey();
      if (params.has(name)) {
        all.put(name, params.get(name));
      } else if (name.endsWith(maskSuffix)) {
        int n = (int) v.getValue().shape().size(0);
        float[] ones = new float[n];
        Arrays.fill(ones, 1f);
        all.put(name, new HostTensor(new long[] {n}, ones));
      } else {
        throw new IllegalArgumentException("no initial value for variable '" + name
            + "'; the parameter set holds " + params.names());
      }
    }
    return all;
  }
}
