package org.tfprune.imports;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.NodeDef;
import org.tfprune.build.ParameterInitializer;
import org.tfprune.export.ServingSignature;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.Activation;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.Conv2DLayer;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.FeatureMap;
import org.tfprune.spec.FlattenLayer;
import org.tfprune.spec.GlobalAvgPoolLayer;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.LayerSpec;
import org.tfprune.spec.Padding;
import org.tfprune.spec.PassThroughLayer;
import org.tfprune.spec.PoolLayer;
import org.tfprune.spec.ResidualBlock;

/**
 * Reads the layers of a source graph: walks from the signature's outputs back to its input,
 * recognises dense and conv layers (with bias or inference-mode batch norm, ReLU or no
 * activation), pooling, flatten, global average pooling and residual blocks, then builds the
 * spec forward with the trained weights and inserts gates where the method allows: input features
 * of a flat input, hidden dense units, conv filters (unless an identity shortcut carries them),
 * residual blocks and their inner filters.
 */
final class GraphMapper {
  /** Ops the mapper reads; anything else on the path from the outputs to the input is refused. */
  static final ImmutableSet<String> SUPPORTED = ImmutableSet.of("Identity", "Relu", "MatMul",
      "BiasAdd", "Add", "AddV2", "Conv2D", "FusedBatchNorm", "FusedBatchNormV2",
      "FusedBatchNormV3", "MaxPool", "MaxPoolV2", "AvgPool", "Reshape", "Mean", "Softmax");

  private static final String SUPPORTED_TEXT = "MatMul and Conv2D layers with a bias (BiasAdd, "
      + "Add, AddV2) or batch norm (FusedBatchNorm/V3 in inference mode), Relu or no "
      + "activation, MaxPool/AvgPool, Reshape (flatten), Mean over height and width, residual "
      + "Add/AddV2 with an identity or conv+BN shortcut, Softmax at the end, Identity";

  private final SourceModel source;
  private final GraphIndex graph;
  private final TensorRef input;
  private final LayerNames names = new LayerNames();
  private final List<String> notes = new ArrayList<>();
  private final Map<String, HostTensor> params = new LinkedHashMap<>();

  private GraphMapper(SourceModel source) {
    this.source = source;
    this.graph = new GraphIndex(source.graphDef(), source.path().toString());
    this.input = TensorRef.parse(source.signature().inputTensor());
  }

  /** Maps {@code source} to a gated spec and its weights (no comparison with the original). */
  static ImportedModel map(SourceModel source, ImportOptions options) {
    return new GraphMapper(source).map(options);
  }

  private ImportedModel map(ImportOptions options) {
    Outputs outputs = outputs();
    checkOps(outputs.logits());
    List<Stage> stages = walk(outputs.logits());
    long[] in = source.inputShape();
    FeatureMap shape = in.length == 2 ? FeatureMap.flat((int) in[1])
        : new FeatureMap((int) in[1], (int) in[2], (int) in[3]);
    List<LayerSpec> layers = new ArrayList<>();
    for (Stage s : stages) {
      LayerSpec l = layer(s, shape);
      if (l != null) {
        layers.add(l);
        try {
          shape = l.outputShape(shape);
        } catch (IllegalArgumentException e) {
          throw new ImportException(describe(s.node()) + " does not fit its input " + shape + ": "
              + e.getMessage());
        }
      }
    }
    ArchitectureSpec spec = gated(in.length == 2 ? InputSpec.flat((int) in[1], true)
        : InputSpec.of((int) in[1], (int) in[2], (int) in[3]), layers);
    if (options.coupleStreamChannels()) {
      try {
        spec = spec.withCoupledStreamChannels();
      } catch (IllegalArgumentException e) {
        throw new ImportException(source.path() + ": " + e.getMessage()
            + " (--couple-stream-channels)");
      }
      notes.add("residual stream channels coupled and gated per stage: "
          + spec.streams().size() + " stream group(s)");
    }
    Map<String, HostTensor> all = new LinkedHashMap<>(params);
    ParameterInitializer.initialize(spec, 0, options.thetaInit()).asMap().forEach((k, v) -> {
      if (ParameterSet.kindOf(k).equals(ParameterSet.THETA)) {
        all.put(k, v);
      }
    });
    return new ImportedModel(source.path().toString(), spec, new ParameterSet(all),
        outputs.signature(), ImmutableList.copyOf(notes), null);
  }

  /** The logits tensor and the interface: each output is the logits or their softmax. */
  private record Outputs(TensorRef logits, ServingSignature signature) {}

  private Outputs outputs() {
    SourceSignature sig = source.signature();
    Map<String, TensorRef> logitsOf = new LinkedHashMap<>();
    Map<String, ServingSignature.Kind> kinds = new LinkedHashMap<>();
    TensorRef logits = null;
    for (Map.Entry<String, String> o : sig.outputs().entrySet()) {
      TensorRef r = graph.resolve(TensorRef.parse(o.getValue()));
      NodeDef n = graph.node(r);
      boolean softmax = n.getOp().equals("Softmax");
      TensorRef l = softmax ? graph.resolve(GraphIndex.dataInputs(n).get(0)) : r;
      logitsOf.put(o.getKey(), l);
      kinds.put(o.getKey(), softmax ? ServingSignature.Kind.PROBABILITIES
          : ServingSignature.Kind.LOGITS);
      if (softmax && logits == null) {
        logits = l;
      }
    }
    if (logits == null) {
      logits = logitsOf.values().iterator().next();
    }
    List<ServingSignature.Output> outs = new ArrayList<>();
    for (Map.Entry<String, String> o : sig.outputs().entrySet()) {
      if (!logitsOf.get(o.getKey()).equals(logits)) {
        NodeDef n = graph.node(graph.resolve(TensorRef.parse(o.getValue())));
        throw new ImportException("output '" + o.getKey() + "' (" + o.getValue() + ", a "
            + n.getOp() + ") of signature '" + sig.key() + "' is neither the logits " + logits
            + " nor their Softmax: tf-prune re-creates those two outputs only. Export the model "
            + "with a signature whose outputs are the logits and/or their softmax");
      }
      outs.add(new ServingSignature.Output(o.getKey(), o.getValue(), kinds.get(o.getKey())));
    }
    try {
      return new Outputs(logits, new ServingSignature(sig.key(), sig.methodName().isEmpty()
          ? ServingSignature.PREDICT_METHOD : sig.methodName(), sig.inputKey(),
          sig.inputTensor(), ImmutableList.copyOf(outs)));
    } catch (IllegalArgumentException e) {
      throw new ImportException("the signature '" + sig.key() + "' of " + source.path()
          + " cannot be re-created: " + e.getMessage());
    }
  }

  /**
   * Lists every op on the paths from the logits back to the input that the mapper cannot read,
   * and every other placeholder those paths need; refuses the model if there is any.
   */
  private void checkOps(TensorRef logits) {
    Map<String, Set<String>> unsupported = new TreeMap<>();
    Set<String> placeholders = new TreeSet<>();
    Deque<String> todo = new ArrayDeque<>(List.of(logits.node()));
    Set<String> seen = new HashSet<>();
    while (!todo.isEmpty()) {
      String name = todo.pop();
      if (!seen.add(name) || name.equals(input.node())) {
        continue;
      }
      NodeDef n = graph.node(name);
      String op = n.getOp();
      if (GraphIndex.WEIGHT_OPS.contains(op)) {
        continue;
      }
      if (op.equals("Placeholder")) {
        placeholders.add(name);
      } else if (!SUPPORTED.contains(op)) {
        unsupported.computeIfAbsent(op, k -> new TreeSet<>()).add(name);
      }
      List<TensorRef> ins = GraphIndex.dataInputs(n);
      // shapes, axes and windows given as tensors are read as constants, not walked
      int follow = switch (op) {
        case "Reshape", "Mean", "MaxPoolV2" -> Math.min(1, ins.size());
        default -> ins.size();
      };
      for (int i = 0; i < follow; i++) {
        todo.push(ins.get(i).node());
      }
    }
    if (!unsupported.isEmpty()) {
      List<String> found = new ArrayList<>();
      int count = 0;
      for (Map.Entry<String, Set<String>> e : unsupported.entrySet()) {
        count += e.getValue().size();
        List<String> nodes = new ArrayList<>(e.getValue());
        found.add(e.getKey() + " (" + String.join(", ", nodes.subList(0, Math.min(4,
            nodes.size()))) + (nodes.size() > 4 ? ", ... " + nodes.size() + " nodes" : "") + ")");
      }
      String fix = unsupported.containsKey("GatherV2") || unsupported.containsKey("Slice")
          ? ". A GatherV2 or Slice on the input is how a tf-prune export whose input features were "
              + "pruned selects the features it kept: tf-prune does not prune such a model "
              + "again; prune the model it was trained from (or train it again) with a higher "
              + "--strength instead"
          : ". Rewrite those parts with these ops (e.g. Relu for the activation) and export "
              + "the model again, or leave training-only ops (dropout, summaries) out of the "
              + "serving graph";
      throw new ImportException("tf-prune cannot map " + count + " op" + (count == 1 ? "" : "s")
          + " on the path from the outputs of " + source.path() + " to its input "
          + input.node() + ": " + String.join("; ", found) + ". It maps " + SUPPORTED_TEXT
          + fix);
    }
    if (!placeholders.isEmpty()) {
      throw new ImportException("the outputs of " + source.path() + " depend on placeholder"
          + (placeholders.size() == 1 ? " " : "s ") + placeholders + " besides the input "
          + input.node() + " (a dropout rate or a training flag?): export a serving graph that "
          + "depends on its input only");
    }
  }

  /** A stage and the tensor it reads. */
  private record Matched(Stage stage, TensorRef input) {}

  /** The stages from the input to the logits. */
  private List<Stage> walk(TensorRef logits) {
    List<Stage> reversed = new ArrayList<>();
    TensorRef t = logits;
    for (int guard = 0; !t.equals(input); guard++) {
      if (guard > graph.nodes().size()) {
        throw new ImportException("the graph of " + source.path() + " has a cycle at " + t
            + ": the file is corrupt");
      }
      NodeDef n = graph.node(t);
      Matched m = switch (n.getOp()) {
        case "Relu" -> {
          TensorRef x = graph.resolve(GraphIndex.dataInputs(n).get(0));
          NodeDef inner = graph.node(x);
          yield isResidualAdd(inner) ? block(inner) : affine(x, true, true);
        }
        case "MatMul", "BiasAdd", "Add", "AddV2", "Conv2D", "FusedBatchNorm", "FusedBatchNormV2",
            "FusedBatchNormV3" -> {
          if (isResidualAdd(n)) {
            throw new ImportException(describe(n) + " adds two activations without a Relu "
                + "after it; tf-prune maps residual blocks of the form relu(shortcut(x) + "
                + "branch(x))");
          }
          yield affine(t, false, true);
        }
        case "MaxPool", "MaxPoolV2", "AvgPool" -> new Matched(pool(n), first(n));
        case "Reshape" -> new Matched(new Stage.Flatten(n), first(n));
        case "Mean" -> new Matched(globalAvgPool(n), first(n));
        case "Softmax" -> throw new ImportException(describe(n) + " is inside the network; "
            + "tf-prune maps a Softmax only as the last op, on the logits");
        default -> throw new ImportException("the path from the logits back to the input of "
            + source.path() + " ends at " + describe(n) + " instead of the input " + input.node()
            + ": the signature's outputs do not depend on its input");
      };
      reversed.add(m.stage());
      t = m.input();
    }
    Collections.reverse(reversed);
    return reversed;
  }

  private TensorRef first(NodeDef n) {
    return graph.resolve(GraphIndex.dataInputs(n).get(0));
  }

  private boolean isResidualAdd(NodeDef n) {
    if (!n.getOp().equals("Add") && !n.getOp().equals("AddV2")) {
      return false;
    }
    List<TensorRef> in = GraphIndex.dataInputs(n);
    return !graph.isWeight(in.get(0)) && !graph.isWeight(in.get(1));
  }

  /** A bias add: its activation input and its bias node, or null if it is not one. */
  private TensorRef[] biasAdd(NodeDef n) {
    List<TensorRef> in = GraphIndex.dataInputs(n);
    switch (n.getOp()) {
      case "BiasAdd" -> {
        checkNhwc(n);
        if (!graph.isWeight(in.get(1))) {
          throw new ImportException(describe(n) + " adds a computed tensor, not a bias; "
              + "tf-prune maps biases held in a variable or constant");
        }
        return new TensorRef[] {graph.resolve(in.get(0)), graph.resolve(in.get(1))};
      }
      case "Add", "AddV2" -> {
        boolean w0 = graph.isWeight(in.get(0));
        boolean w1 = graph.isWeight(in.get(1));
        if (w0 == w1) {
          return null;
        }
        return w1 ? new TensorRef[] {graph.resolve(in.get(0)), graph.resolve(in.get(1))}
            : new TensorRef[] {graph.resolve(in.get(1)), graph.resolve(in.get(0))};
      }
      default -> {
        return null;
      }
    }
  }

  private static boolean isBatchNorm(NodeDef n) {
    return n.getOp().startsWith("FusedBatchNorm");
  }

  /**
   * A dense or conv layer ending at {@code t}: [MatMul | Conv2D] -> [bias] -> [batch norm ->
   * [bias]]. When not {@code strict}, a mismatch gives null instead of an exception.
   */
  private Matched affine(TensorRef t, boolean relu, boolean strict) {
    TensorRef cur = t;
    NodeDef n = graph.node(cur);
    String bias = null;
    Stage.BatchNorm bn = null;
    TensorRef[] b = biasAdd(n);
    if (b != null) {
      bias = b[1].node();
      cur = b[0];
      n = graph.node(cur);
    }
    if (isBatchNorm(n)) {
      bn = batchNorm(n, bias);
      bias = null;
      cur = first(n);
      n = graph.node(cur);
      b = biasAdd(n);
      if (b != null) {
        bias = b[1].node();
        cur = b[0];
        n = graph.node(cur);
      }
    }
    switch (n.getOp()) {
      case "MatMul" -> {
        if (bn != null) {
          if (!strict) {
            return null;
          }
          throw new ImportException(describe(bn.node()) + " normalizes the output of "
              + describe(n) + "; tf-prune maps batch norm after convolutions only");
        }
        return new Matched(dense(n, bias, relu), first(n));
      }
      case "Conv2D" -> {
        return new Matched(conv(n, bias, bn, relu), first(n));
      }
      default -> {
        if (!strict) {
          return null;
        }
        throw new ImportException(describe(graph.node(t)) + " is not part of a layer tf-prune "
            + "knows: it reads " + describe(n) + " where a MatMul or Conv2D was expected. It "
            + "maps " + SUPPORTED_TEXT);
      }
    }
  }

  private Stage.Dense dense(NodeDef n, String bias, boolean relu) {
    List<TensorRef> in = GraphIndex.dataInputs(n);
    if (GraphIndex.bool(n, "transpose_a", false) || graph.isWeight(in.get(0))
        || !graph.isWeight(in.get(1))) {
      throw new ImportException(describe(n) + " does not multiply the activations by a weight "
          + "matrix from the right (x W); tf-prune maps dense layers of that form");
    }
    return new Stage.Dense(n, graph.resolve(in.get(1)).node(),
        GraphIndex.bool(n, "transpose_b", false), bias, relu);
  }

  private Stage.Conv conv(NodeDef n, String bias, Stage.BatchNorm bn, boolean relu) {
    checkNhwc(n);
    List<TensorRef> in = GraphIndex.dataInputs(n);
    if (!graph.isWeight(in.get(1))) {
      throw new ImportException(describe(n) + " convolves with a computed filter; tf-prune "
          + "maps convolutions whose filter is a variable or constant");
    }
    List<Long> dil = GraphIndex.ints(n, "dilations");
    if (!dil.isEmpty() && dil.stream().anyMatch(d -> d != 1)) {
      throw new ImportException(describe(n) + " is dilated " + dil + "; tf-prune maps "
          + "convolutions without dilation");
    }
    return new Stage.Conv(n, graph.resolve(in.get(1)).node(), squareStride(n,
        GraphIndex.ints(n, "strides")), padding(n), bias, bn, relu);
  }

  private Stage.BatchNorm batchNorm(NodeDef n, String biasAfter) {
    checkNhwc(n);
    if (GraphIndex.bool(n, "is_training", true)) {
      throw new ImportException(describe(n) + " runs in training mode (is_training = true) on "
          + "the serving path: export the inference graph, whose batch norm uses the moving "
          + "statistics (is_training = false)");
    }
    List<TensorRef> in = GraphIndex.dataInputs(n);
    for (int i = 1; i <= 4; i++) {
      if (!graph.isWeight(in.get(i))) {
        throw new ImportException(describe(n) + " takes a computed tensor as input " + i
            + "; tf-prune maps batch norm whose scale, offset, mean and variance are variables "
            + "or constants");
      }
    }
    return new Stage.BatchNorm(n, graph.resolve(in.get(1)).node(),
        graph.resolve(in.get(2)).node(), graph.resolve(in.get(3)).node(),
        graph.resolve(in.get(4)).node(), GraphIndex.number(n, "epsilon", 1e-4f), biasAfter);
  }

  private Stage.Pool pool(NodeDef n) {
    checkNhwc(n);
    List<Long> ksize;
    List<Long> strides;
    if (n.getOp().equals("MaxPoolV2")) {
      List<TensorRef> in = GraphIndex.dataInputs(n);
      ksize = Arrays.stream(source.ints(in.get(1))).boxed().toList();
      strides = Arrays.stream(source.ints(in.get(2))).boxed().toList();
    } else {
      ksize = GraphIndex.ints(n, "ksize");
      strides = GraphIndex.ints(n, "strides");
    }
    int size = squareStride(n, ksize);
    return new Stage.Pool(n, n.getOp().startsWith("Max") ? PoolLayer.Kind.MAX
        : PoolLayer.Kind.AVG, size, squareStride(n, strides), padding(n));
  }

  private Stage.GlobalAvgPool globalAvgPool(NodeDef n) {
    long[] axes = source.ints(GraphIndex.dataInputs(n).get(1));
    Set<Long> a = new TreeSet<>();
    for (long x : axes) {
      a.add(x);
    }
    if (!a.equals(Set.of(1L, 2L)) || GraphIndex.bool(n, "keep_dims", false)) {
      throw new ImportException(describe(n) + " takes the mean over axes " + a + (GraphIndex
          .bool(n, "keep_dims", false) ? " keeping them" : "") + "; tf-prune maps a Mean only "
          + "as global average pooling, over axes [1, 2] of [batch, height, width, channels] "
          + "without keep_dims");
    }
    return new Stage.GlobalAvgPool(n);
  }

  /** {@code relu(shortcut(x) + conv2(relu(conv1(x))))} at the addition {@code add}. */
  private Matched block(NodeDef add) {
    List<TensorRef> in = GraphIndex.dataInputs(add);
    for (int k = 0; k < 2; k++) {
      TensorRef branch = graph.resolve(in.get(k));
      TensorRef shortcut = graph.resolve(in.get(1 - k));
      Matched c2 = affine(branch, false, false);
      if (c2 == null || !(c2.stage() instanceof Stage.Conv conv2)) {
        continue;
      }
      NodeDef h = graph.node(c2.input());
      if (!h.getOp().equals("Relu")) {
        continue;
      }
      Matched c1 = affine(first(h), true, false);
      if (c1 == null || !(c1.stage() instanceof Stage.Conv conv1)) {
        continue;
      }
      TensorRef x = c1.input();
      if (shortcut.equals(x)) {
        return new Matched(new Stage.Block(add, conv1, conv2, null), x);
      }
      Matched sc = affine(shortcut, false, false);
      if (sc != null && sc.stage() instanceof Stage.Conv projection && sc.input().equals(x)) {
        return new Matched(new Stage.Block(add, conv1, conv2, projection), x);
      }
    }
    throw new ImportException(describe(add) + " joins two paths that do not form a residual "
        + "block tf-prune knows: it maps relu(shortcut(x) + bn(conv(relu(bn(conv(x)))))) (a "
        + "bias may replace each batch norm) with the identity or a conv (+ batch norm) as the "
        + "shortcut");
  }

  /** The layer of a stage, with its weights put into {@link #params}; null for a no-op. */
  private LayerSpec layer(Stage s, FeatureMap in) {
    if (s instanceof Stage.Dense d) {
      if (!in.isFlat()) {
        throw new ImportException(describe(d.node()) + " gets a " + in + " feature map; "
            + "flatten it first");
      }
      HostTensor k = source.value(d.kernel());
      if (k.rank() != 2) {
        throw new ImportException("the weight " + d.kernel() + " of " + describe(d.node())
            + " has rank " + k.rank() + ", not 2");
      }
      if (d.transposed()) {
        k = transpose(k);
      }
      if (k.dim(0) != in.channels()) {
        throw new ImportException(describe(d.node()) + " has a " + k.dim(0) + "x" + k.dim(1)
            + " weight but gets " + in.channels() + " features");
      }
      String name = names.of(d.node().getName());
      params.put(ParameterSet.key(name, ParameterSet.KERNEL), k);
      params.put(ParameterSet.key(name, ParameterSet.BIAS), vector(d.bias(), k.dim(1), d));
      return new DenseLayer(name, k.dim(1), d.relu() ? Activation.RELU : Activation.IDENTITY,
          false);
    }
    if (s instanceof Stage.Conv c) {
      return convLayer(c, in.channels(), names.of(c.node().getName()));
    }
    if (s instanceof Stage.Pool p) {
      return new PoolLayer(names.of(p.node().getName()), p.kind(), p.size(), p.stride(),
          p.padding());
    }
    if (s instanceof Stage.Flatten f) {
      Shape out = source.staticShape(new TensorRef(f.node().getName(), 0));
      if (out.numDimensions() != 2 || (out.size(1) != -1 && out.size(1) != in.size())) {
        throw new ImportException(describe(f.node()) + " reshapes a " + in + " tensor to "
            + out + "; tf-prune maps reshapes that flatten [batch, height, width, channels] to "
            + "[batch, height * width * channels]");
      }
      return in.isFlat() ? null : new FlattenLayer(names.of(f.node().getName()));
    }
    if (s instanceof Stage.GlobalAvgPool g) {
      if (in.isFlat()) {
        throw new ImportException(describe(g.node()) + " averages a flat tensor; tf-prune maps "
            + "a Mean as global average pooling of a feature map only");
      }
      return new GlobalAvgPoolLayer(names.of(g.node().getName()));
    }
    Stage.Block b = (Stage.Block) s;
    String name = names.of(b.node().getName());
    Conv2DLayer c1 = convLayer(b.conv1(), in.channels(), names.of(b.conv1().node().getName()));
    Conv2DLayer c2 = convLayer(b.conv2(), c1.filters(), names.of(b.conv2().node().getName()));
    Conv2DLayer sc = b.shortcut() == null ? null : convLayer(b.shortcut(), in.channels(),
        names.of(b.shortcut().node().getName()));
    try {
      return new ResidualBlock(name, c1, c2, sc, false);
    } catch (IllegalArgumentException e) {
      throw new ImportException("the residual block at " + describe(b.node()) + " does not fit "
          + "tf-prune's basic block: " + e.getMessage());
    }
  }

  private Conv2DLayer convLayer(Stage.Conv c, int inChannels, String name) {
    HostTensor k = source.value(c.kernel());
    if (k.rank() != 4 || k.dim(0) != k.dim(1)) {
      throw new ImportException(describe(c.node()) + " has a filter of shape " + Arrays.toString(
          k.shape()) + "; tf-prune maps square kernels [k, k, in, out]");
    }
    if (k.dim(2) != inChannels) {
      throw new ImportException(describe(c.node()) + " has filters for " + k.dim(2)
          + " input channels but gets " + inChannels);
    }
    int filters = k.dim(3);
    params.put(ParameterSet.key(name, ParameterSet.KERNEL), k);
    Stage.BatchNorm bn = c.batchNorm();
    if (bn == null) {
      params.put(ParameterSet.key(name, ParameterSet.BIAS), vector(c.bias(), filters, c));
    } else {
      float[] mean = vector(bn.mean(), filters, c).values();
      float[] beta = vector(bn.beta(), filters, c).values();
      HostTensor variance = vector(bn.variance(), filters, c);
      if (c.bias() != null) { // (x + b - mean) = (x - (mean - b))
        float[] bias = vector(c.bias(), filters, c).values();
        for (int i = 0; i < filters; i++) {
          mean[i] -= bias[i];
        }
        notes.add("bias " + c.bias() + " before " + bn.node().getName() + " folded into the "
            + "moving mean");
      }
      if (bn.biasAfter() != null) {
        float[] bias = vector(bn.biasAfter(), filters, c).values();
        for (int i = 0; i < filters; i++) {
          beta[i] += bias[i];
        }
        notes.add("bias " + bn.biasAfter() + " after " + bn.node().getName() + " folded into "
            + "beta");
      }
      params.put(ParameterSet.key(name, ParameterSet.GAMMA), vector(bn.gamma(), filters, c));
      params.put(ParameterSet.key(name, ParameterSet.BETA), new HostTensor(new long[] {filters},
          beta));
      params.put(ParameterSet.key(name, ParameterSet.MOVING_MEAN),
          new HostTensor(new long[] {filters}, mean));
      params.put(ParameterSet.key(name, ParameterSet.MOVING_VARIANCE), variance);
    }
    return new Conv2DLayer(name, filters, k.dim(0), c.stride(), c.padding(), bn != null,
        c.relu() ? Activation.RELU : Activation.IDENTITY, false, bn != null ? bn.epsilon()
        : Conv2DLayer.DEFAULT_BATCH_NORM_EPSILON);
  }

  /** A per-unit vector of {@code n} values (zeros when {@code node} is null). */
  private HostTensor vector(String node, int n, Stage s) {
    if (node == null) {
      return new HostTensor(new long[] {n}, new float[n]);
    }
    HostTensor v = source.value(node);
    long[] shape = v.shape();
    boolean fits = v.size() == n && shape.length >= 1 && shape[shape.length - 1] == n;
    if (!fits) {
      throw new ImportException("weight " + node + " of " + describe(s.node()) + " has shape "
          + Arrays.toString(shape) + " where " + n + " values, one per unit, were expected");
    }
    return new HostTensor(new long[] {n}, v.values());
  }

  private static HostTensor transpose(HostTensor k) {
    int r = k.dim(0);
    int c = k.dim(1);
    float[] v = k.values();
    float[] t = new float[v.length];
    for (int i = 0; i < r; i++) {
      for (int j = 0; j < c; j++) {
        t[j * r + i] = v[i * c + j];
      }
    }
    return new HostTensor(new long[] {c, r}, t);
  }

  /**
   * The spec with gates where the method allows: the features of a flat input, every layer's
   * units or filters except the logits, and every residual block. A conv layer whose output an
   * identity shortcut carries stays ungated (the residual stream is not pruned).
   */
  private ArchitectureSpec gated(InputSpec input, List<LayerSpec> layers) {
    List<LayerSpec> out = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      LayerSpec l = layers.get(i);
      boolean last = i == layers.size() - 1;
      if (!last && (l instanceof DenseLayer || l instanceof ResidualBlock
          || (l instanceof Conv2DLayer && !feedsIdentityShortcut(layers, i)))) {
        l = l.withGated(true);
      }
      out.add(l);
    }
    try {
      return new ArchitectureSpec(source.name(), input, ImmutableList.copyOf(out));
    } catch (IllegalArgumentException e) {
      throw new ImportException("the network read from " + source.path() + " does not fit "
          + "tf-prune: " + e.getMessage() + ". tf-prune needs a network that ends in a dense "
          + "layer without activation (the logits), optionally followed by Softmax");
    }
  }

  private static boolean feedsIdentityShortcut(List<LayerSpec> layers, int i) {
    for (int j = i + 1; j < layers.size(); j++) {
      LayerSpec next = layers.get(j);
      if (!(next instanceof PassThroughLayer)) {
        return next instanceof ResidualBlock b && b.shortcut() == null;
      }
      if (next instanceof FlattenLayer || next instanceof GlobalAvgPoolLayer) {
        return false;
      }
    }
    return false;
  }

  private int squareStride(NodeDef n, List<Long> v) {
    if (v.size() != 4 || v.get(0) != 1 || v.get(3) != 1 || !v.get(1).equals(v.get(2))) {
      throw new ImportException(describe(n) + " has window or strides " + v + "; tf-prune maps "
          + "square ones, [1, k, k, 1]");
    }
    return v.get(1).intValue();
  }

  private Padding padding(NodeDef n) {
    String p = GraphIndex.string(n, "padding", "");
    try {
      return Padding.valueOf(p);
    } catch (IllegalArgumentException e) {
      throw new ImportException(describe(n) + " uses padding '" + p + "'; tf-prune maps SAME and "
          + "VALID");
    }
  }

  private static void checkNhwc(NodeDef n) {
    String f = GraphIndex.string(n, "data_format", "NHWC");
    if (!f.equals("NHWC")) {
      throw new ImportException(describe(n) + " uses data format " + f + "; tf-prune maps NHWC "
          + "graphs (TensorFlow's default)");
    }
  }

  private static String describe(NodeDef n) {
    return n.getOp() + " " + n.getName();
  }
}
