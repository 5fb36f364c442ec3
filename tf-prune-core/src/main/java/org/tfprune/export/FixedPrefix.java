package org.tfprune.export;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Arrays;
import java.util.Optional;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TFloat32;
import org.tfprune.slice.HostTensor;

/**
 * Runs a serving contract's fixed prefix on examples: given what a client sends to the float
 * signature input (e.g. raw pixels), what the network reads (e.g. rescaled pixels). Training and
 * test data go through it so the network is trained on what it sees when served.
 */
public final class FixedPrefix implements AutoCloseable {
  private final Graph graph;
  private final Session session;
  private final String input;
  private final long[] inputShape;
  private final String output;

  private FixedPrefix(ServingContract c, String input, long[] inputShape) {
    this.graph = new Graph();
    try {
      graph.importGraphDef(c.before());
    } catch (IllegalArgumentException e) {
      graph.close();
      throw new ExportException("cannot run the kept prefix of the model: " + e.getMessage());
    }
    this.session = new Session(graph);
    this.input = input;
    this.inputShape = inputShape;
    this.output = c.networkInput();
  }

  /**
   * The prefix between {@code sig}'s float input and the network, or empty when there is none
   * (the network reads the input) or the input is not float (e.g. serialized tf.Examples: then
   * the data is fed at the network input directly).
   */
  public static Optional<FixedPrefix> of(ServingSignature sig) {
    ServingContract c = sig.contract();
    if (c == null || c.networkInputNode().equals(sig.inputNode())) {
      return Optional.empty();
    }
    NodeDef in = c.before().getNodeList().stream().filter(n -> n.getName().equals(
        sig.inputNode())).findFirst().orElse(null);
    if (in == null || !in.getOp().startsWith("Placeholder")
        || in.getAttrOrThrow("dtype").getType() != DataType.DT_FLOAT
        || !in.getAttrMap().containsKey("shape")
        || in.getAttrOrThrow("shape").getShape().getUnknownRank()) {
      return Optional.empty();
    }
    var s = in.getAttrOrThrow("shape").getShape();
    long[] shape = new long[s.getDimCount()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = s.getDim(i).getSize();
      if (i > 0 && shape[i] <= 0) {
        return Optional.empty();
      }
    }
    return Optional.of(new FixedPrefix(c, sig.inputTensor(), shape));
  }

  /** The signature input's shape, {@code -1} for the batch. */
  public long[] inputShape() {
    long[] s = inputShape.clone();
    s[0] = -1;
    return s;
  }

  /** Values per example the signature input takes. */
  public int inputSize() {
    long n = 1;
    for (int i = 1; i < inputShape.length; i++) {
      n *= inputShape[i];
    }
    return (int) n;
  }

  /** What the network reads for {@code count} examples held row-major in {@code x}. */
  public float[] apply(float[] x, int count) {
    checkArgument(x.length == (long) count * inputSize(), "%s values do not make %s examples of "
        + "shape %s", x.length, count, Arrays.toString(inputShape()));
    long[] shape = inputShape.clone();
    shape[0] = count;
    try (TFloat32 t = TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(x, true, false));
        Result r = session.runner().feed(input, t).fetch(output).run()) {
      return HostTensor.of((TFloat32) r.get(0)).values();
    }
  }

  @Override
  public void close() {
    session.close();
    graph.close();
  }
}
