package org.tfprune.imports;

import java.util.List;
import java.util.Map;
import org.tensorflow.proto.NodeDef;
import org.tfprune.spec.Activation;
import org.tfprune.spec.Padding;

/** Checks and descriptions of single source nodes shared by the importer's matchers. */
final class Nodes {
  /** The activation ops the importer maps, by op name. */
  static final Map<String, Activation> ACTIVATIONS = Map.of("Relu", Activation.RELU, "Relu6",
      Activation.RELU6, "Sigmoid", Activation.SIGMOID, "Tanh", Activation.TANH);

  private Nodes() {}

  /** The activation of an activation op, or null when {@code n} is not one. */
  static Activation activation(NodeDef n) {
    if (n.getOp().equals("LeakyRelu")) {
      float alpha = GraphIndex.number(n, "alpha", 0.2f);
      if (!(alpha >= 0 && alpha <= 1)) {
        throw ImportException.unmapped(describe(n) + " has the slope alpha = " + alpha + "; tf-prune "
            + "maps leaky ReLUs with alpha in [0, 1]");
      }
      return Activation.leakyRelu(alpha);
    }
    return ACTIVATIONS.get(n.getOp());
  }

  static boolean isBatchNorm(NodeDef n) {
    return n.getOp().startsWith("FusedBatchNorm");
  }

  static String describe(NodeDef n) {
    return n.getOp() + " " + n.getName();
  }

  static int squareStride(NodeDef n, List<Long> v) {
    if (v.size() != 4 || v.get(0) != 1 || v.get(3) != 1 || !v.get(1).equals(v.get(2))) {
      throw ImportException.unmapped(describe(n) + " has window or strides " + v + "; tf-prune maps "
          + "square ones, [1, k, k, 1]");
    }
    return v.get(1).intValue();
  }

  static Padding padding(NodeDef n) {
    String p = GraphIndex.string(n, "padding", "");
    try {
      return Padding.valueOf(p);
    } catch (IllegalArgumentException e) {
      throw ImportException.unmapped(describe(n) + " uses padding '" + p + "'; tf-prune maps SAME and "
          + "VALID");
    }
  }

  static void checkNhwc(NodeDef n) {
    String f = GraphIndex.string(n, "data_format", "NHWC");
    if (!f.equals("NHWC")) {
      throw new ImportException(describe(n) + " uses data format " + f + "; tf-prune maps NHWC "
          + "graphs (TensorFlow's default)");
    }
  }
}
