package org.tfprune.imports;

import java.util.HashSet;
import java.util.Set;
import org.tfprune.spec.ArchitectureSpec;

/**
 * Layer names for an imported spec, taken from the source graph's node names: a node's scope
 * ({@code dense_1/MatMul -> dense_1}), else the node's full name, made valid
 * ({@code [A-Za-z][A-Za-z0-9_]*}), unreserved and unique.
 */
final class LayerNames {
  private final Set<String> used = new HashSet<>(ArchitectureSpec.RESERVED_NAMES);

  /** A fresh name for the layer built from node {@code node}. */
  String of(String node) {
    int slash = node.lastIndexOf('/');
    if (slash > 0) {
      String scope = clean(node.substring(0, slash));
      if (used.add(scope)) {
        return scope;
      }
    }
    String full = clean(node);
    String name = full;
    for (int i = 2; !used.add(name); i++) {
      name = full + "_" + i;
    }
    return name;
  }

  private static String clean(String s) {
    String c = s.replaceAll("[^A-Za-z0-9_]", "_");
    return Character.isLetter(c.charAt(0)) ? c : "l" + c;
  }
}
