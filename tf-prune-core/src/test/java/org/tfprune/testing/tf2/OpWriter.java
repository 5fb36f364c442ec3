package org.tfprune.testing.tf2;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Writes the NodeDefs of a network's ops as TensorFlow writes them: inside a function body, where
 * a node's input names an output argument ({@code dense/MatMul:product:0}), or in a flat GraphDef
 * ({@code dense/MatMul:0}). The output argument names are those of TensorFlow's op definitions.
 */
final class OpWriter {
  static final AttrValue F32 = AttrValue.newBuilder().setType(DataType.DT_FLOAT).build();

  private final boolean function;
  private final List<NodeDef> nodes = new ArrayList<>();
  private final List<String> reads = new ArrayList<>();

  OpWriter(boolean function) {
    this.function = function;
  }

  List<NodeDef> nodes() {
    return nodes;
  }

  /** The names of the ReadVariableOp nodes written so far. */
  List<String> reads() {
    return reads;
  }

  /** A reference to output {@code arg} (index 0) of node {@code name}. */
  String ref(String name, String arg) {
    return function ? name + ":" + arg + ":0" : name + ":0";
  }

  NodeDef.Builder node(String name, String op, String... inputs) {
    NodeDef.Builder b = NodeDef.newBuilder().setName(name).setOp(op);
    for (String i : inputs) {
      b.addInput(i);
    }
    return b;
  }

  String add(NodeDef.Builder b, String arg) {
    NodeDef n = b.build();
    nodes.add(n);
    return ref(n.getName(), arg);
  }

  String read(String name, String resource) {
    reads.add(name);
    return add(node(name, "ReadVariableOp", resource).putAttr("dtype", F32), "value");
  }

  String matMul(String name, String a, String b) {
    return add(node(name, "MatMul", a, b).putAttr("T", F32)
        .putAttr("transpose_a", bool(false)).putAttr("transpose_b", bool(false)), "product");
  }

  String biasAdd(String name, String x, String b) {
    return add(node(name, "BiasAdd", x, b).putAttr("T", F32).putAttr("data_format",
        str("NHWC")), "output");
  }

  String addV2(String name, String x, String y) {
    return add(node(name, "AddV2", x, y).putAttr("T", F32), "z");
  }

  String relu(String name, String x) {
    return add(node(name, "Relu", x).putAttr("T", F32), "activations");
  }

  String softmax(String name, String x) {
    return add(node(name, "Softmax", x).putAttr("T", F32), "softmax");
  }

  String identity(String name, String x, String... control) {
    NodeDef.Builder b = node(name, "Identity", x).putAttr("T", F32);
    for (String c : control) {
      b.addInput("^" + c);
    }
    return add(b, "output");
  }

  String conv2d(String name, String x, String kernel, String padding) {
    return add(node(name, "Conv2D", x, kernel).putAttr("T", F32)
        .putAttr("strides", ints(1, 1, 1, 1)).putAttr("padding", str(padding))
        .putAttr("data_format", str("NHWC")).putAttr("dilations", ints(1, 1, 1, 1))
        .putAttr("use_cudnn_on_gpu", bool(true)), "output");
  }

  String batchNorm(String name, String x, String gamma, String beta, String mean, String var,
      float epsilon) {
    return add(node(name, "FusedBatchNormV3", x, gamma, beta, mean, var).putAttr("T", F32)
        .putAttr("U", F32).putAttr("epsilon", AttrValue.newBuilder().setF(epsilon).build())
        .putAttr("is_training", bool(false)).putAttr("data_format", str("NHWC"))
        .putAttr("exponential_avg_factor", AttrValue.newBuilder().setF(1f).build()), "y");
  }

  String maxPool(String name, String x) {
    return add(node(name, "MaxPool", x).putAttr("T", F32).putAttr("ksize", ints(1, 2, 2, 1))
        .putAttr("strides", ints(1, 2, 2, 1)).putAttr("padding", str("VALID"))
        .putAttr("data_format", str("NHWC")), "output");
  }

  String flatten(String base, String x, int features) {
    ByteBuffer bb = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(-1)
        .putInt(features);
    String shape = add(node(base + "Const", "Const").putAttr("dtype", type(DataType.DT_INT32))
        .putAttr("value", AttrValue.newBuilder().setTensor(TensorProto.newBuilder()
            .setDtype(DataType.DT_INT32).setTensorShape(shape(2))
            .setTensorContent(ByteString.copyFrom(bb.array()))).build()), "output");
    return add(node(base + "Reshape", "Reshape", x, shape).putAttr("T", F32)
        .putAttr("Tshape", type(DataType.DT_INT32)), "output");
  }

  /** A NoOp that runs after {@code control}. */
  void noOp(String name, List<String> control) {
    NodeDef.Builder b = node(name, "NoOp");
    control.forEach(c -> b.addInput("^" + c));
    nodes.add(b.build());
  }

  static AttrValue bool(boolean b) {
    return AttrValue.newBuilder().setB(b).build();
  }

  static AttrValue str(String s) {
    return AttrValue.newBuilder().setS(ByteString.copyFromUtf8(s)).build();
  }

  static AttrValue type(DataType t) {
    return AttrValue.newBuilder().setType(t).build();
  }

  static AttrValue ints(long... v) {
    AttrValue.ListValue.Builder l = AttrValue.ListValue.newBuilder();
    for (long x : v) {
      l.addI(x);
    }
    return AttrValue.newBuilder().setList(l).build();
  }

  static AttrValue types(List<DataType> t) {
    return AttrValue.newBuilder().setList(AttrValue.ListValue.newBuilder().addAllType(t)).build();
  }

  static TensorShapeProto shape(long... dims) {
    TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
    for (long d : dims) {
      b.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    return b.build();
  }

  static AttrValue shapeAttr(long... dims) {
    return AttrValue.newBuilder().setShape(shape(dims)).build();
  }

  /** A string constant (a scalar or a vector). */
  static AttrValue strings(List<String> values, boolean scalar) {
    TensorProto.Builder t = TensorProto.newBuilder().setDtype(DataType.DT_STRING)
        .setTensorShape(scalar ? shape() : shape(values.size()));
    values.forEach(v -> t.addStringVal(ByteString.copyFromUtf8(v)));
    return AttrValue.newBuilder().setTensor(t).build();
  }
}
