package org.tfprune.imports;

import static org.tfprune.imports.Nodes.describe;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.proto.NodeDef;
import org.tfprune.build.ParameterInitializer;
import org.tfprune.export.ServingSignature;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.Activation;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.FeatureMap;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.LayerSpec;

/**
 * Reads the layers of a source graph: checks its ops ({@link OpCheck}), walks from the
 * signature's outputs back to its input matching layers ({@link LayerMatcher}) and residual
 * blocks ({@link BlockMatcher}), then builds the spec forward with the trained weights and gates
 * ({@link SpecBuilder}); what it cannot map becomes a fixed, unpruned region ({@link
 * FixedRegions}). The gates: input features of a flat input, hidden dense units, conv filters (unless
 * an identity shortcut carries them), residual blocks and their inner filters.
 */
final class GraphMapper {
  private final SourceModel source;
  private GraphIndex graph;
  private TensorRef input;
  private LayerMatcher layers;
  private BlockMatcher blocks;
  private FixedRegions regions;

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
    List<String> contractNotes = new ArrayList<>(source.notes());
    ImmutableMap<String, Float> fed = TrainingFeeds.values(graph, options.feeds(), input.node(),
        source.signature().outputs().values(), source.path().toString());
    org.tensorflow.proto.GraphDef current = TrainingFeeds.fold(source.graphDef(), fed);
    if (!fed.isEmpty()) {
      graph = new GraphIndex(current, source.path().toString());
      source.useFeeds(fed);
      contractNotes.add("training-only placeholders fed " + TrainingFeeds.describe(graph, fed)
          + " (--feed, or their defaults)");
    }
    ControlFlowFolding.Folded folded = ControlFlowFolding.fold(current,
        source.signature().outputs().values(), source.path().toString());
    if (!folded.notes().isEmpty()) {
      graph = new GraphIndex(folded.graph(), source.path().toString());
      contractNotes.addAll(folded.notes());
    }
    TensorRef logitsRef = LogitsFinder.find(graph, source.signature(), source.path());
    SignatureInputs.checkLogits(graph, source.signature(), logitsRef, source.path());
    TensorRef networkInput = NetworkInput.find(graph, input, logitsRef);
    if (!networkInput.equals(input)) {
      source.useNetworkInput(networkInput);
      contractNotes.add("the network reads " + networkInput + "; what lies between the "
          + "signature input " + source.signature().inputTensor() + " and it is kept unchanged"
          + (isString(input) ? " (the input is a string: training and test data are fed at "
          + networkInput + ")" : ""));
    } else {
      source.inputShape(); // refuses an input that is not a float placeholder of known shape
    }
    input = graph.resolve(networkInput);
    layers = new LayerMatcher(source, graph);
    blocks = new BlockMatcher(graph, layers);
    Outputs outputs = new Outputs(logitsRef, ContractReader.read(graph, source, logitsRef,
        networkInput, contractNotes));
    OpCheck.check(source, graph, input, outputs.logits());
    regions = new FixedRegions(source, graph, input, outputs.logits());
    List<Stage> stages = walk(outputs.logits());
    long[] in = source.inputShape();
    FeatureMap shape = in.length == 2 ? FeatureMap.flat((int) in[1])
        : new FeatureMap((int) in[1], (int) in[2], (int) in[3]);
    SpecBuilder builder = new SpecBuilder(source, graph);
    List<LayerSpec> specLayers = new ArrayList<>();
    for (Stage s : stages) {
      LayerSpec l = builder.layer(s, shape);
      if (l != null) {
        specLayers.add(l);
        try {
          shape = l.outputShape(shape);
        } catch (IllegalArgumentException e) {
          throw new ImportException(describe(s.node()) + " does not fit its input " + shape + ": "
              + e.getMessage());
        }
      }
    }
    ArchitectureSpec spec = builder.gated(in.length == 2 ? InputSpec.flat((int) in[1], true)
        : InputSpec.of((int) in[1], (int) in[2], (int) in[3]), specLayers);
    List<String> notes = new ArrayList<>(contractNotes);
    notes.addAll(builder.notes());
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
    Map<String, HostTensor> all = new LinkedHashMap<>(builder.params());
    ParameterInitializer.initialize(spec, 0, options.thetaInit()).asMap().forEach((k, v) -> {
      if (ParameterSet.kindOf(k).equals(ParameterSet.THETA)) {
        all.put(k, v);
      }
    });
    return new ImportedModel(source.path().toString(), spec, new ParameterSet(all),
        outputs.signature(), ImmutableList.copyOf(notes), null);
  }

  /** The logits tensor and the interface (with the fixed regions around the network). */
  private record Outputs(TensorRef logits, ServingSignature signature) {}

  private boolean isString(TensorRef t) {
    NodeDef n = graph.node(graph.resolve(t));
    return n.getAttrMap().containsKey("dtype")
        && n.getAttrOrThrow("dtype").getType() == org.tensorflow.proto.DataType.DT_STRING;
  }

  /** The stages from the input to the logits. */
  private List<Stage> walk(TensorRef logits) {
    List<Stage> reversed = new ArrayList<>();
    TensorRef t = logits;
    for (int guard = 0; !t.equals(input); guard++) {
      if (guard > graph.nodes().size()) {
        throw new ImportException("the graph of " + source.path() + " has a cycle at " + t
            + ": the file is corrupt");
      }
      Stage.Matched m;
      try {
        m = step(t);
        if (t.equals(logits) && !denseLogits(m)) {
          // a classifier head that is no dense layer (a 1x1 conv then a reshape, a global
          // average pooling of class maps): kept fixed, so the layer before keeps every class
          m = regions.find(t, describe(m.stage().node()) + " computes the logits, which "
              + "tf-prune maps as a dense layer without activation; this head is kept fixed",
              this::whyNot);
        }
      } catch (ImportException e) {
        if (!e.unmappedForm()) {
          throw e;
        }
        m = regions.find(t, e.getMessage(), this::whyNot);
      }
      reversed.add(m.stage());
      t = m.input();
    }
    Collections.reverse(reversed);
    return reversed;
  }

  /**
   * Whether {@code m}, the stage ending at the logits, is a dense layer without activation, or
   * a reshape of one (Keras MobileNet's 1x1 conv of the class scores, then a reshape).
   */
  private boolean denseLogits(Stage.Matched m) {
    if (m.stage() instanceof Stage.Dense d) {
      return d.activation() == Activation.IDENTITY;
    }
    if (m.stage() instanceof Stage.Flatten) {
      try {
        return denseLogits(step(m.input()));
      } catch (ImportException e) {
        return false;
      }
    }
    return false;
  }

  /** Null when {@link #step} matches a stage ending at {@code t}, else why it does not. */
  private String whyNot(TensorRef t) {
    try {
      step(t);
      return null;
    } catch (ImportException e) {
      return e.getMessage();
    }
  }

  /** The stage ending at {@code t} (an op or form it does not map: {@code unmapped}). */
  private Stage.Matched step(TensorRef t) {
    NodeDef n = graph.node(t);
    return switch (n.getOp()) {
      case "Relu", "Relu6", "Sigmoid", "Tanh", "LeakyRelu" -> {
        NodeDef inner = graph.node(layers.first(n));
        yield layers.isResidualAdd(inner) ? blocks.block(inner, Nodes.activation(n))
            : layers.layer(t, true);
      }
      case "MatMul", "BiasAdd", "Add", "AddV2", "Sub", "Mul", "Conv2D", "DepthwiseConv2dNative",
          "FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3" -> layers.isResidualAdd(n)
              ? blocks.block(n, Activation.IDENTITY) : layers.layer(t, true);
      case "MaxPool", "MaxPoolV2", "AvgPool" -> new Stage.Matched(layers.pool(n),
          layers.first(n));
      case "Pad", "PadV2" -> new Stage.Matched(layers.pad(n), layers.first(n));
      case "Reshape" -> {
        org.tensorflow.ndarray.Shape out = source.staticShape(t);
        org.tensorflow.ndarray.Shape in = source.staticShape(layers.first(n));
        boolean toOnePixel = out.numDimensions() == 4 && out.size(1) == 1 && out.size(2) == 1
            && (in.numDimensions() == 2 || (in.numDimensions() == 4 && in.size(1) == 1
            && in.size(2) == 1));
        if (out.numDimensions() != 2 && !toOnePixel) {
          throw ImportException.unmapped(describe(n) + " reshapes to " + source.staticShape(t)
              + "; tf-prune maps reshapes that flatten a feature map to [batch, features]");
        }
        yield new Stage.Matched(new Stage.Flatten(n), layers.first(n));
      }
      case "Mean" -> new Stage.Matched(layers.globalAvgPool(n), layers.first(n));
      case "Softmax" -> throw ImportException.unmapped(describe(n) + " is inside the network; "
          + "tf-prune maps a Softmax only as the last op, on the logits");
      default -> throw ImportException.unmapped(describe(n) + " is not a layer kind tf-prune "
          + "maps");
    };
  }
}
