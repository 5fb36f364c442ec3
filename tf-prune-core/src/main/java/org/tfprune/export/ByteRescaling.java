package org.tfprune.export;

import static com.google.common.base.Preconditions.checkNotNull;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;

/**
 * Finds a model's own scaling of raw pixel values in the prefix kept before its network: a
 * multiplication by {@code 1/255} or a division by {@code 255} (Keras' {@code Rescaling(1./255)},
 * {@code x / 255.0} written in the model). Such a model takes pixels as stored, 0 to 255, and
 * the data must not be scaled a second time before it.
 */
public final class ByteRescaling {
  /** How close a constant must be to 1/255 (relative) to count as the byte scaling. */
  private static final double RELATIVE_TOLERANCE = 1e-3;

  private ByteRescaling() {}

  /**
   * The node of {@code contract}'s kept prefix that scales bytes to [0, 1], described for a log
   * line, or empty when the prefix has none.
   */
  public static Optional<String> find(ServingContract contract) {
    checkNotNull(contract, "contract");
    Map<String, NodeDef> nodes = new HashMap<>();
    contract.before().getNodeList().forEach(n -> nodes.put(n.getName(), n));
    for (NodeDef n : contract.before().getNodeList()) {
      boolean mul = n.getOp().equals("Mul");
      boolean div = n.getOp().equals("RealDiv") || n.getOp().equals("Div");
      if (!(mul || div) || n.getInputCount() < 2) {
        continue;
      }
      // a multiplication may hold its constant on either side; a division by it on the right
      for (int i = mul ? 0 : 1; i < 2; i++) {
        Optional<Double> c = scalar(nodes.get(nodeName(n.getInput(i))));
        if (c.isEmpty()) {
          continue;
        }
        double factor = mul ? c.get() : 1 / c.get();
        if (Math.abs(factor * 255 - 1) <= RELATIVE_TOLERANCE) {
          return Optional.of(n.getOp() + " " + n.getName() + " (by " + c.get() + ")");
        }
      }
    }
    return Optional.empty();
  }

  private static String nodeName(String input) {
    int colon = input.lastIndexOf(':');
    return colon < 0 ? input : input.substring(0, colon);
  }

  /** The value of a float constant that holds one value, if {@code n} is one. */
  private static Optional<Double> scalar(NodeDef n) {
    if (n == null || !n.getOp().equals("Const") || !n.getAttrMap().containsKey("value")) {
      return Optional.empty();
    }
    TensorProto t = n.getAttrOrThrow("value").getTensor();
    long size = 1;
    for (var d : t.getTensorShape().getDimList()) {
      size *= d.getSize();
    }
    if (size != 1) {
      return Optional.empty();
    }
    if (t.getDtype() == DataType.DT_FLOAT) {
      if (t.getFloatValCount() > 0) {
        return Optional.of((double) t.getFloatVal(0));
      }
      ByteString b = t.getTensorContent();
      return b.size() == 4 ? Optional.of((double) ByteBuffer.wrap(b.toByteArray())
          .order(ByteOrder.LITTLE_ENDIAN).getFloat()) : Optional.empty();
    }
    if (t.getDtype() == DataType.DT_DOUBLE && t.getDoubleValCount() > 0) {
      return Optional.of(t.getDoubleVal(0));
    }
    return Optional.empty();
  }
}
