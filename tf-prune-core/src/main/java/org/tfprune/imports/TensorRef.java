package org.tfprune.imports;

/** One output of a graph node: {@code node:index}, as a NodeDef input or a TensorInfo names it. */
record TensorRef(String node, int index) {
  /** Parses {@code name}, {@code name:1} or a control input {@code ^name}. */
  static TensorRef parse(String input) {
    String s = input.startsWith("^") ? input.substring(1) : input;
    int colon = s.lastIndexOf(':');
    if (colon > 0) {
      try {
        return new TensorRef(s.substring(0, colon), Integer.parseInt(s.substring(colon + 1)));
      } catch (NumberFormatException e) {
        // a ':' inside the name: fall through
      }
    }
    return new TensorRef(s, 0);
  }

  @Override
  public String toString() {
    return node + ":" + index;
  }
}
