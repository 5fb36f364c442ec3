package org.tfprune.export;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.TensorShapeProto;
import org.tfprune.complexity.Complexity;

/**
 * Reads an exported SavedModel's GraphDef and counts its complexity from the graph itself,
 * independently of any spec: parameters are the sizes of its variables, MACs are {@code in * out}
 * of every MatMul's kernel and {@code kh * kw * C_in * C_out * H_out * W_out} of every Conv2D
 * (output size from TensorFlow's own shape inference). Also reports whether any node carries a device placement.
 */
public final class SavedModelInspector {
  private final GraphDef graph;

  private SavedModelInspector(GraphDef graph) {
    this.graph = graph;
  }

  /**
   * Parses {@code dir/saved_model.pb} and checks its first meta graph ({@link
   * SavedModelValidator}) before TensorFlow sees it.
   *
   * @throws ExportException when the file is missing, damaged or not a SavedModel
   */
  public static SavedModelInspector open(Path dir) {
    SavedModelValidator v = SavedModelValidator.forExport();
    SavedModel sm = v.parse(dir);
    v.checkMetaGraph(sm.getMetaGraphs(0), dir.resolve(SavedModelValidator.SAVED_MODEL_PB));
    return new SavedModelInspector(sm.getMetaGraphs(0).getGraphDef());
  }

  /** Inspects a GraphDef held in memory (e.g. {@link InferenceModel#graphDef()}). */
  public static SavedModelInspector of(GraphDef graph) {
    return new SavedModelInspector(graph);
  }

  public GraphDef graphDef() {
    return graph;
  }

  /** Counts of the graph: variable sizes and MatMul kernels. */
  public Complexity complexity() {
    Map<String, long[]> varShapes = new HashMap<>();
    for (NodeDef n : graph.getNodeList()) {
      if (n.getOp().equals("VariableV2") || n.getOp().equals("VarHandleOp")) {
        varShapes.put(n.getName(), dims(n.getAttrOrThrow("shape")));
      }
    }
    long params = 0;
    for (long[] s : varShapes.values()) {
      long p = 1;
      for (long d : s) {
        p *= d;
      }
      params += p;
    }
    Map<String, NodeDef> nodes = new HashMap<>();
    graph.getNodeList().forEach(n -> nodes.put(n.getName(), n));
    long macs = 0;
    try (Graph g = new Graph()) {
      g.importGraphDef(graph);
      for (NodeDef n : graph.getNodeList()) {
        boolean depthwise = n.getOp().equals("DepthwiseConv2dNative");
        if (n.getOp().equals("MatMul") || n.getOp().equals("Conv2D") || depthwise) {
          long[] k = varShapes.get(kernelVariable(nodes, strip(n.getInput(1)), depthwise));
          if (k == null) {
            throw new ExportException(n.getOp() + " " + n.getName()
                + " does not read a variable kernel");
          }
          long kernelSize = 1;
          for (long d : k) {
            kernelSize *= d;
          }
          if (n.getOp().equals("Conv2D") || depthwise) {
            // static shape inference gives the output's spatial size [batch, H, W, C]
            Shape out = g.operation(n.getName()).output(0).shape();
            macs += kernelSize * out.get(1) * out.get(2);
          } else {
            macs += kernelSize;
          }
        }
      }
    }
    return new Complexity(macs, params);
  }

  /**
   * The variable a product's kernel input reads: {@code input} itself, or for a depthwise
   * convolution the variable a {@code Tile} repeats once per example (the serving form of a
   * one-channel convolution, whose examples are channels: the variable's size times the output
   * positions is the MACs per example).
   */
  private static String kernelVariable(Map<String, NodeDef> nodes, String input,
      boolean depthwise) {
    NodeDef n = nodes.get(input);
    return depthwise && n != null && n.getOp().equals("Tile") ? strip(n.getInput(0)) : input;
  }

  /** Nodes that carry a device placement (none is expected). */
  public long placedNodes() {
    return graph.getNodeList().stream().filter(n -> !n.getDevice().isEmpty()).count();
  }

  private static long[] dims(AttrValue v) {
    TensorShapeProto s = v.getShape();
    long[] d = new long[s.getDimCount()];
    for (int i = 0; i < d.length; i++) {
      d[i] = s.getDim(i).getSize();
    }
    return d;
  }

  private static String strip(String input) {
    String s = input.startsWith("^") ? input.substring(1) : input;
    int colon = s.indexOf(':');
    return colon < 0 ? s : s.substring(0, colon);
  }
}
