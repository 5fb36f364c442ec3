package org.tfprune.imports;

import com.google.common.collect.ImmutableMap;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Reads the interface of a model to import: the signature a SavedModel's meta graph names (or
 * the one a frozen GraphDef implies), which of its inputs feeds the network ({@link
 * SignatureInputs}) and the shape of that input's placeholder, each refused with an
 * {@link ImportException} that names the problem and the fix.
 */
final class SignatureReader {
  private SignatureReader() {}

  /** The requested signature, or {@code serving_default}, or the only one. */
  static SourceSignature signature(MetaGraphDef meta, String key, Path dir) {
    Map<String, SignatureDef> sigs = new TreeMap<>(meta.getSignatureDefMap());
    sigs.remove("__saved_model_init_op"); // an init op, not a signature
    if (sigs.isEmpty()) {
      throw new ImportException(dir + " has no serving signature: export it with one (TF-Java: "
          + "SavedModelBundle.exporter(dir).withSignature(...)) so tf-prune knows the input and "
          + "the outputs");
    }
    String chosen = key;
    if (chosen == null) {
      chosen = sigs.containsKey("serving_default") ? "serving_default"
          : sigs.size() == 1 ? sigs.keySet().iterator().next() : null;
      if (chosen == null) {
        throw new ImportException(dir + " has several signatures " + sigs.keySet() + " and "
            + "none is serving_default: pass --signature with one of them");
      }
    } else if (!sigs.containsKey(chosen)) {
      throw new ImportException(dir + " has no signature '" + chosen + "'; it has " + sigs.keySet()
          + ": pass --signature with one of them");
    }
    String k = chosen;
    SignatureDef s = sigs.get(k);
    if (s.getInputsCount() == 0) {
      throw new ImportException("signature '" + k + "' of " + dir + " has no inputs; tf-prune "
          + "prunes networks fed one input tensor (a batch of examples)");
    }
    String inKey = s.getInputsCount() == 1 ? s.getInputsMap().keySet().iterator().next()
        : SignatureInputs.networkInput(meta.getGraphDef(), s.getInputsMap(), k, dir);
    Map<String, String> others = new LinkedHashMap<>();
    new TreeMap<>(s.getInputsMap()).forEach((ik, info) -> {
      if (!ik.equals(inKey)) {
        others.put(ik, tensorName(info, k, dir));
      }
    });
    Map<String, String> outs = new LinkedHashMap<>();
    new TreeMap<>(s.getOutputsMap()).forEach((ok, info) -> outs.put(ok, tensorName(info, k, dir)));
    if (outs.isEmpty()) {
      throw new ImportException("signature '" + k + "' of " + dir + " has no outputs");
    }
    return new SourceSignature(k, s.getMethodName(), inKey, tensorName(s.getInputsMap().get(
        inKey), k, dir), ImmutableMap.copyOf(outs), ImmutableMap.copyOf(others));
  }

  static String tensorName(TensorInfo info, String key, Path dir) {
    if (info.getName().isEmpty()) {
      throw new ImportException("signature '" + key + "' of " + dir + " has a tensor without a "
          + "name (a sparse or composite tensor?); tf-prune needs dense named tensors");
    }
    return info.getName().contains(":") ? info.getName() : info.getName() + ":0";
  }

  /**
   * A frozen GraphDef has no signature: its input is its one placeholder, its outputs are the
   * nodes nothing consumes, keyed by node name.
   */
  static SourceSignature frozenSignature(GraphIndex g, Path file) {
    List<String> placeholders = new ArrayList<>();
    Set<String> consumed = new HashSet<>();
    for (NodeDef n : g.nodes()) {
      if (n.getOp().equals("Placeholder")) {
        placeholders.add(n.getName());
      }
      n.getInputList().forEach(i -> consumed.add(TensorRef.parse(i).node()));
    }
    if (placeholders.size() != 1) {
      throw new ImportException(file + " has " + placeholders.size() + " placeholders "
          + placeholders + "; tf-prune prunes networks with exactly one input placeholder: "
          + "freeze the serving graph only");
    }
    Map<String, String> outs = new LinkedHashMap<>();
    for (NodeDef n : g.nodes()) {
      if (!consumed.contains(n.getName()) && !n.getOp().equals("NoOp")
          && !n.getOp().equals("Const") && !n.getOp().equals("Placeholder")) {
        outs.put(n.getName(), n.getName() + ":0");
      }
    }
    if (outs.isEmpty()) {
      throw new ImportException(file + " has no output node (every node is consumed by "
          + "another): the graph is not a network");
    }
    return new SourceSignature("serving_default", "tensorflow/serving/predict",
        placeholders.get(0), placeholders.get(0) + ":0", ImmutableMap.copyOf(outs));
  }

  static void checkNodes(GraphIndex g, SourceSignature sig) {
    sig.inputs().values().forEach(t -> g.node(TensorRef.parse(t)));
    sig.outputs().values().forEach(t -> g.node(TensorRef.parse(t)));
  }

  /** The shape of the input placeholder: {@code [-1, dims...]}, every other dim known. */
  static long[] placeholderShape(GraphIndex g, TensorRef input, Path source) {
    NodeDef n = g.node(input);
    if (!n.getOp().equals("Placeholder")) {
      throw new ImportException("the input " + input + " of " + source + " is a " + n.getOp()
          + ", not a Placeholder; tf-prune needs the input fed through a placeholder");
    }
    DataType type = n.getAttrOrThrow("dtype").getType();
    if (type != DataType.DT_FLOAT) {
      throw new ImportException("the input placeholder " + n.getName() + " of " + source
          + " has type " + type + "; tf-prune handles float32 models");
    }
    TensorShapeProto s = n.getAttrMap().containsKey("shape") ? n.getAttrOrThrow("shape")
        .getShape() : TensorShapeProto.newBuilder().setUnknownRank(true).build();
    long[] d = new long[s.getDimCount()];
    boolean known = !s.getUnknownRank() && (d.length == 2 || d.length == 4);
    for (int i = 0; i < d.length; i++) {
      d[i] = s.getDim(i).getSize();
      known &= i == 0 || d[i] > 0;
    }
    if (!known) {
      throw new ImportException("the input placeholder " + n.getName() + " of " + source
          + " has shape " + (s.getUnknownRank() ? "of unknown rank" : java.util.Arrays.toString(
          d)) + "; tf-prune needs [batch, features] or [batch, height, width, channels] with "
          + "every dimension but the batch known: give the placeholder a full shape");
    }
    d[0] = -1;
    return d;
  }
}
