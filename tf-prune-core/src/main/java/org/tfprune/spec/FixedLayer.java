package org.tfprune.spec;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorShapeProto;

/**
 * A fixed, unpruned region of an imported network: ops the importer could not map to layers,
 * kept exactly as the original computes them. It has no gates; the layer feeding it keeps its full
 * width (the region reads every channel) and its weights are frozen (never trained).
 *
 * <p>{@code ops} is a self-contained GraphDef fragment in topological order: the placeholder
 * {@value #INPUT} stands for the tensor the previous layer outputs, a float placeholder {@code
 * weight_<i>} (shape fully known) for each weight the region reads (a frozen variable {@code
 * <name>/weight_<i>} of the network), and every other node is one of the region's ops (or an
 * integer constant it reads), its inputs naming nodes of the fragment. {@code output} is the
 * tensor ({@code node:index}) the next layer reads.
 *
 * @param macs the multiply-accumulates of the region's MatMul and convolution ops per example
 *     (element-wise ops count 0)
 * @param kept each original op of the region (node name) and why it was kept fixed
 */
public record FixedLayer(String name, GraphDef ops, String output, FeatureMap inputShape,
    FeatureMap outputShape, long macs, ImmutableMap<String, String> kept)
    implements LayerSpec {
  /** The fragment's placeholder for the region's input. */
  public static final String INPUT = "input";

  /** The prefix of a weight placeholder's name (and of its variable's kind). */
  public static final String WEIGHT = "weight_";

  public FixedLayer {
    LayerSpec.checkName(name);
    checkNotNull(ops, "ops of fixed region %s", name);
    checkNotNull(output, "output of fixed region %s", name);
    checkNotNull(inputShape, "input shape of fixed region %s", name);
    checkNotNull(outputShape, "output shape of fixed region %s", name);
    checkNotNull(kept, "kept ops of fixed region %s", name);
    checkArgument(macs >= 0, "fixed region %s has negative MACs %s", name, macs);
    checkArgument(!kept.isEmpty(), "fixed region %s keeps no op", name);
    checkFragment(name, ops, output);
  }

  /** The fragment has one input, typed weights, inputs defined before use, and the output. */
  private static void checkFragment(String name, GraphDef ops, String output) {
    Set<String> defined = new HashSet<>();
    int inputs = 0;
    for (NodeDef n : ops.getNodeList()) {
      if (n.getOp().equals("Placeholder")) {
        if (n.getName().equals(INPUT)) {
          inputs++;
        } else {
          checkArgument(n.getName().startsWith(WEIGHT), "fixed region %s reads placeholder %s; "
              + "its only input is %s, its weights are %s<i>", name, n.getName(), INPUT, WEIGHT);
          checkArgument(n.getAttrOrThrow("dtype").getType() == DataType.DT_FLOAT,
              "weight %s of fixed region %s is not float", n.getName(), name);
          shape(n);
        }
      }
      for (String in : n.getInputList()) {
        checkArgument(!in.startsWith("^"), "node %s of fixed region %s has a control input %s",
            n.getName(), name, in);
        checkArgument(defined.contains(nodeOf(in)), "node %s of fixed region %s reads %s, "
            + "which the region does not define before it", n.getName(), name, in);
      }
      checkArgument(defined.add(n.getName()), "fixed region %s defines node %s twice", name,
          n.getName());
    }
    checkArgument(inputs == 1, "fixed region %s must have exactly one input placeholder '%s', "
        + "has %s", name, INPUT, inputs);
    checkArgument(defined.contains(nodeOf(output)) && !nodeOf(output).equals(INPUT),
        "fixed region %s outputs %s, which is not one of its ops", name, output);
  }

  /** The node of a tensor name ({@code node:index}). */
  public static String nodeOf(String tensor) {
    int colon = tensor.lastIndexOf(':');
    return colon < 0 ? tensor : tensor.substring(0, colon);
  }

  /** The output index of a tensor name. */
  public static int indexOf(String tensor) {
    int colon = tensor.lastIndexOf(':');
    return colon < 0 ? 0 : Integer.parseInt(tensor.substring(colon + 1));
  }

  /** The weight placeholders of the fragment, in order. */
  public ImmutableList<NodeDef> weights() {
    return ops.getNodeList().stream().filter(n -> n.getOp().equals("Placeholder")
        && n.getName().startsWith(WEIGHT)).collect(ImmutableList.toImmutableList());
  }

  /** The shape of a weight placeholder. */
  public static long[] shape(NodeDef weight) {
    AttrValue a = weight.getAttrOrThrow("shape");
    TensorShapeProto s = a.getShape();
    checkArgument(!s.getUnknownRank(), "weight %s has an unknown rank", weight.getName());
    long[] d = new long[s.getDimCount()];
    for (int i = 0; i < d.length; i++) {
      d[i] = s.getDim(i).getSize();
      checkArgument(d[i] >= 0, "weight %s has an unknown dimension", weight.getName());
    }
    return d;
  }

  /** The frozen weights' values per example: the region's parameters. */
  public long params() {
    long p = 0;
    for (NodeDef w : weights()) {
      long n = 1;
      for (long d : shape(w)) {
        n *= d;
      }
      p += n;
    }
    return p;
  }

  /** The op types of the region's kept ops, e.g. {@code [Mul, Square]}. */
  public List<String> opTypes() {
    Set<String> kept = this.kept.keySet();
    return ops.getNodeList().stream().filter(n -> kept.contains(n.getName()))
        .map(NodeDef::getOp).distinct().sorted().toList();
  }

  @Override
  public boolean gated() {
    return false;
  }

  @Override
  public FeatureMap outputShape(FeatureMap input) {
    checkArgument(input.equals(inputShape), "fixed region '%s' reads a %s tensor, gets %s", name,
        inputShape, input);
    return outputShape;
  }

  @Override
  public int width() {
    return -1;
  }

  @Override
  public LayerSpec withWidth(int width) {
    throw new UnsupportedOperationException("fixed region '" + name + "' is never pruned");
  }

  @Override
  public LayerSpec withGated(boolean g) {
    checkArgument(!g, "fixed region '%s' cannot carry gates", name);
    return this;
  }

  /**
   * Whether the channels of layer {@code i} (-1: the input features) flow into a fixed region,
   * through pooling, padding, flattening and depthwise convs only.
   */
  public static boolean feeds(List<LayerSpec> layers, int i) {
    for (int j = i + 1; j < layers.size(); j++) {
      LayerSpec next = layers.get(j);
      if (!(next instanceof PassThroughLayer) && !(next instanceof Conv2DLayer c
          && c.depthwise())) {
        return next instanceof FixedLayer;
      }
    }
    return false;
  }

  /**
   * Checks that no gate reaches a fixed region's input: the layer whose channels flow into it
   * (through pooling, padding, flattening and depthwise convs) is ungated, and so are the input
   * features when nothing lies before it.
   */
  static void checkUngatedInputs(InputSpec input, List<LayerSpec> layers,
      java.util.function.Function<String, String> gatedStreamOf) {
    for (int i = 0; i < layers.size(); i++) {
      if (!(layers.get(i) instanceof FixedLayer f)) {
        continue;
      }
      LayerSpec producer = null;
      for (int j = i - 1; j >= 0 && producer == null; j--) {
        LayerSpec l = layers.get(j);
        if (!(l instanceof PassThroughLayer) && !(l instanceof Conv2DLayer c && c.depthwise())) {
          producer = l;
        }
      }
      if (producer == null) {
        checkArgument(!input.gated(), "fixed region '%s' reads the input features, which "
            + "must not be gated", f.name());
      } else {
        // a closed block gate leaves the block's shortcut, which still has every channel
        boolean gated = !(producer instanceof ResidualBlock) && producer.gated();
        checkArgument(!gated && gatedStreamOf.apply(producer.name()) == null, "layer '%s' "
            + "feeds fixed region '%s', which reads every channel: it must not be gated",
            producer.name(), f.name());
      }
    }
  }
}
