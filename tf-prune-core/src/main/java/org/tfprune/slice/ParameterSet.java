package org.tfprune.slice;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Named parameter values of a network on the host: kernels, biases and gate probabilities, keyed
 * by variable name ({@code dense0/kernel}, {@code dense0/bias}, {@code dense0/theta},
 * {@code input/theta}). Immutable.
 */
public final class ParameterSet {
  public static final String KERNEL = "kernel";
  public static final String BIAS = "bias";
  public static final String THETA = "theta";
  public static final String GAMMA = "gamma";
  public static final String BETA = "beta";
  public static final String MOVING_MEAN = "moving_mean";
  public static final String MOVING_VARIANCE = "moving_variance";

  /** Kinds trained by the weight optimizer (moving statistics and theta are not). */
  public static final java.util.Set<String> TRAINABLE_KINDS = java.util.Set.of(KERNEL, BIAS, GAMMA,
      BETA);

  /** The kind of a parameter name ({@code dense0/kernel -> kernel}). */
  public static String kindOf(String name) {
    return name.substring(name.lastIndexOf('/') + 1);
  }

  /** The owner of a parameter name ({@code dense0/kernel -> dense0}). */
  public static String ownerOf(String name) {
    return name.substring(0, name.lastIndexOf('/'));
  }

  private final ImmutableMap<String, HostTensor> values;

  public ParameterSet(Map<String, HostTensor> values) {
    this.values = ImmutableMap.copyOf(values);
  }

  /** The variable name of parameter {@code kind} of layer or gate group {@code owner}. */
  public static String key(String owner, String kind) {
    return owner + "/" + kind;
  }

  public HostTensor get(String name) {
    HostTensor t = values.get(name);
    checkArgument(t != null, "no parameter '%s'; known: %s", name, values.keySet());
    return t;
  }

  public HostTensor get(String owner, String kind) {
    return get(key(owner, kind));
  }

  public boolean has(String name) {
    return values.containsKey(name);
  }

  public Set<String> names() {
    return values.keySet();
  }

  public Map<String, HostTensor> asMap() {
    return values;
  }

  /** Gate probabilities per gate group, as plain arrays. */
  public Map<String, float[]> thetas() {
    Map<String, float[]> m = new LinkedHashMap<>();
    values.forEach((k, v) -> {
      if (k.endsWith("/" + THETA)) {
        m.put(k.substring(0, k.length() - THETA.length() - 1), v.values());
      }
    });
    return m;
  }

  /** A copy with one value replaced or added. */
  public ParameterSet with(String name, HostTensor value) {
    Map<String, HostTensor> m = new LinkedHashMap<>(values);
    m.put(name, value);
    return new ParameterSet(m);
  }

  /** Total number of values held. */
  public long size() {
    return values.values().stream().mapToLong(HostTensor::size).sum();
  }
}
