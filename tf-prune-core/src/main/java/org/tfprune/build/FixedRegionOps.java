package org.tfprune.build;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.TensorFlow;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;
import org.tensorflow.types.TFloat32;
import org.tfprune.spec.FixedLayer;

/**
 * Copies a {@link FixedLayer}'s ops into a graph: each NodeDef becomes an op of the same type and
 * attributes (built with {@code Graph.opBuilder}), its input placeholder maps to the tensor the
 * previous layer outputs and each weight placeholder to the network's frozen variable.
 */
public final class FixedRegionOps {
  private static Map<String, OpDef> registered;

  private FixedRegionOps() {}

  /**
   * The region's output for input {@code x}, built in {@code s}'s scope.
   *
   * @param weight the variable (or any tensor) of a weight placeholder, by its name
   */
  @SuppressWarnings("unchecked")
  public static Operand<TFloat32> apply(Ops s, FixedLayer f, Operand<TFloat32> x,
      Function<String, ? extends Operand<TFloat32>> weight) {
    Graph g = (Graph) s.scope().env();
    Map<String, Output<?>[]> outputs = new HashMap<>();
    for (NodeDef n : f.ops().getNodeList()) {
      if (n.getName().equals(FixedLayer.INPUT)) {
        outputs.put(n.getName(), new Output<?>[] {x.asOutput()});
        continue;
      }
      if (n.getOp().equals("Placeholder")) {
        outputs.put(n.getName(), new Output<?>[] {weight.apply(n.getName()).asOutput()});
        continue;
      }
      OpDef def = opDef(n.getOp());
      checkArgument(def != null, "fixed region %s holds op %s (%s), which this TensorFlow does "
          + "not know", f.name(), n.getOp(), n.getName());
      var b = g.opBuilder(n.getOp(), s.scope().makeOpName(n.getName().replace('/', '_')),
          s.scope());
      int next = 0;
      for (OpDef.ArgDef arg : def.getInputArgList()) {
        int count = !arg.getNumberAttr().isEmpty() ? (int) n.getAttrOrThrow(arg.getNumberAttr())
            .getI() : !arg.getTypeListAttr().isEmpty() ? n.getAttrOrThrow(arg.getTypeListAttr())
            .getList().getTypeCount() : -1;
        if (count < 0) {
          b.addInput(input(outputs, n.getInput(next++)));
        } else {
          Output<?>[] list = new Output<?>[count];
          for (int i = 0; i < count; i++) {
            list[i] = input(outputs, n.getInput(next++));
          }
          b.addInputList(list);
        }
      }
      for (Map.Entry<String, AttrValue> a : n.getAttrMap().entrySet()) {
        if (!a.getKey().startsWith("_")) {
          b.setAttr(a.getKey(), a.getValue());
        }
      }
      GraphOperation op = b.build();
      List<Output<?>> outs = new ArrayList<>();
      for (int i = 0; i < op.numOutputs(); i++) {
        outs.add(op.output(i));
      }
      outputs.put(n.getName(), outs.toArray(new Output<?>[0]));
    }
    return (Operand<TFloat32>) outputs.get(FixedLayer.nodeOf(f.output()))[FixedLayer.indexOf(
        f.output())];
  }

  private static Output<?> input(Map<String, Output<?>[]> outputs, String tensor) {
    return outputs.get(FixedLayer.nodeOf(tensor))[FixedLayer.indexOf(tensor)];
  }

  /** The registered definition of an op type, or null. */
  public static synchronized OpDef opDef(String type) {
    if (registered == null) {
      Map<String, OpDef> m = new HashMap<>();
      TensorFlow.registeredOpList().getOpList().forEach(o -> m.put(o.getName(), o));
      registered = m;
    }
    return registered.get(type);
  }
}
