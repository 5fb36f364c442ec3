package org.tfprune.spec;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which structures of each gate group are kept. An immutable value: the arrays handed in and out
 * are copies. Groups that are not gated are simply absent (everything kept).
 */
public final class KeepMask {
  private final ImmutableMap<String, boolean[]> keep;

  private KeepMask(Map<String, boolean[]> keep) {
    ImmutableMap.Builder<String, boolean[]> b = ImmutableMap.builder();
    keep.forEach((k, v) -> b.put(k, v.clone()));
    this.keep = b.build();
  }

  /** A mask from explicit per-group keep flags. */
  public static KeepMask of(Map<String, boolean[]> keep) {
    return new KeepMask(keep);
  }

  /** The mask that keeps every gated structure of {@code spec}. */
  public static KeepMask all(ArchitectureSpec spec) {
    Map<String, boolean[]> m = new LinkedHashMap<>();
    for (GateGroup g : spec.gateGroups()) {
      boolean[] k = new boolean[g.size()];
      Arrays.fill(k, true);
      m.put(g.name(), k);
    }
    return new KeepMask(m);
  }

  /** The deterministic mask of gate probabilities: kept iff {@code theta >= 0.5}. */
  public static KeepMask fromTheta(Map<String, float[]> theta) {
    Map<String, boolean[]> m = new LinkedHashMap<>();
    theta.forEach((k, t) -> {
      boolean[] b = new boolean[t.length];
      for (int i = 0; i < t.length; i++) {
        b[i] = t[i] >= 0.5f;
      }
      m.put(k, b);
    });
    return new KeepMask(m);
  }

  /**
   * The mask, relative to {@code spec}, of applying {@code outer} and then {@code inner} (which is
   * relative to {@code spec.compact(outer)}): what two successive compactions keep. A group the
   * first compaction removed (a dead block's) keeps nothing.
   */
  public static KeepMask compose(ArchitectureSpec spec, KeepMask outer, KeepMask inner) {
    Map<String, boolean[]> m = new LinkedHashMap<>();
    for (GateGroup g : spec.gateGroups()) {
      boolean[] k = new boolean[g.size()];
      if (inner.has(g.name())) {
        int[] first = outer.kept(g.name());
        boolean[] second = inner.flags(g.name());
        checkArgument(second.length == first.length,
            "group '%s': the inner mask has %s flags but the outer keeps %s", g.name(),
            second.length, first.length);
        for (int i = 0; i < first.length; i++) {
          k[first[i]] = second[i];
        }
      }
      m.put(g.name(), k);
    }
    return new KeepMask(m);
  }

  public boolean has(String group) {
    return keep.containsKey(group);
  }

  /** Keep flags of a group (a copy). */
  public boolean[] flags(String group) {
    boolean[] k = keep.get(group);
    checkArgument(k != null, "keep-mask has no gate group '%s'; groups: %s", group, keep.keySet());
    return k.clone();
  }

  /** Indices of the kept structures of a group, ascending. */
  public int[] kept(String group) {
    boolean[] k = flags(group);
    return indicesOf(k);
  }

  /** Number of kept structures of a group. */
  public int count(String group) {
    return kept(group).length;
  }

  public java.util.Set<String> groups() {
    return keep.keySet();
  }

  /** Total number of structures removed over all groups. */
  public int removed() {
    int r = 0;
    for (boolean[] k : keep.values()) {
      for (boolean b : k) {
        r += b ? 0 : 1;
      }
    }
    return r;
  }

  static int[] indicesOf(boolean[] k) {
    int n = 0;
    for (boolean b : k) {
      n += b ? 1 : 0;
    }
    int[] idx = new int[n];
    int j = 0;
    for (int i = 0; i < k.length; i++) {
      if (k[i]) {
        idx[j++] = i;
      }
    }
    return idx;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof KeepMask other) || !other.keep.keySet().equals(keep.keySet())) {
      return false;
    }
    return keep.entrySet().stream()
        .allMatch(e -> Arrays.equals(e.getValue(), other.keep.get(e.getKey())));
  }

  @Override
  public int hashCode() {
    int h = keep.keySet().hashCode();
    for (boolean[] v : keep.values()) {
      h = 31 * h + Arrays.hashCode(v);
    }
    return h;
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("KeepMask{");
    keep.forEach((k, v) -> s.append(k).append('=').append(indicesOf(v).length).append('/')
        .append(v.length).append(' '));
    return s.append('}').toString();
  }
}
