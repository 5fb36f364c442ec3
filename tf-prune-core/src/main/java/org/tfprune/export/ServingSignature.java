package org.tfprune.export;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The serving interface of an exported model: the signature key and method name, the input's key
 * and tensor name, and each output's key, tensor name and what it holds (the logits or their
 * softmax). A compact model exported with the interface of the model it was imported from can
 * replace that model in a pipeline without any other change.
 *
 * @param inputTensor the input placeholder's tensor name, e.g. {@code images:0}
 * @param contract the model's other signatures and fixed regions, or null when this one
 *     signature, a placeholder input and outputs that are the logits or their softmax are all
 */
public record ServingSignature(String key, String methodName, String inputKey,
    String inputTensor, ImmutableList<Output> outputs, ServingContract contract) {

  /** TensorFlow's rule for node names, applied to each '/'-separated part. */
  private static final Pattern NAME_PART = Pattern.compile("[A-Za-z0-9.][A-Za-z0-9_.\\-]*");

  /** The predict method of TensorFlow Serving. */
  public static final String PREDICT_METHOD = "tensorflow/serving/predict";

  /**
   * tf-prune's own interface: {@code serving_default}, input {@code input}, outputs
   * {@code logits} and {@code probabilities}, each named as its key.
   */
  public static final ServingSignature DEFAULT = new ServingSignature("serving_default",
      PREDICT_METHOD, "input", "input:0", ImmutableList.of(
          new Output("logits", "logits:0", Kind.LOGITS),
          new Output("probabilities", "probabilities:0", Kind.PROBABILITIES)));

  /** What an output tensor holds. */
  public enum Kind {
    /** The last dense layer's output. */
    LOGITS,
    /** The softmax of the logits. */
    PROBABILITIES,
    /** Computed from the logits by ops kept unchanged (e.g. ArgMax classes, TopK). */
    DERIVED
  }

  /**
   * One output of the signature.
   *
   * @param tensor the tensor name, e.g. {@code scores:0}
   */
  public record Output(String key, String tensor, Kind kind) {
    public Output {
      checkArgument(key != null && !key.isEmpty(), "an output key must not be empty");
      checkNotNull(kind, "kind of output %s", key);
      checkTensorName(tensor, "output " + key, kind == Kind.DERIVED);
    }

    /** The name of the node producing the tensor. */
    public String node() {
      return nodeOf(tensor);
    }
  }

  /** A signature without other signatures or fixed regions. */
  public ServingSignature(String key, String methodName, String inputKey, String inputTensor,
      ImmutableList<Output> outputs) {
    this(key, methodName, inputKey, inputTensor, outputs, null);
  }

  public ServingSignature {
    checkArgument(key != null && !key.isEmpty(), "the signature key must not be empty");
    checkNotNull(methodName, "method name of signature %s", key);
    checkArgument(inputKey != null && !inputKey.isEmpty(), "the input key of signature %s must "
        + "not be empty", key);
    checkTensorName(inputTensor, "the input of signature " + key, contract != null);
    checkArgument(!outputs.isEmpty(), "signature %s needs at least one output", key);
    Set<String> keys = new HashSet<>();
    for (Output o : outputs) {
      checkArgument(keys.add(o.key()), "signature %s has two outputs with key '%s'", key,
          o.key());
      checkArgument(contract != null || !o.node().equals(nodeOf(inputTensor)), "signature %s: output %s is the "
          + "input tensor %s", key, o.key(), inputTensor);
    }
  }

  /** The input placeholder's node name. */
  public String inputNode() {
    return nodeOf(inputTensor);
  }

  /** Whether any output holds the logits. */
  public boolean hasLogits() {
    return outputs.stream().anyMatch(o -> o.kind() == Kind.LOGITS);
  }

  /** The node name of a tensor name ({@code scores:0 -> scores}). */
  public static String nodeOf(String tensor) {
    int colon = tensor.lastIndexOf(':');
    return colon < 0 ? tensor : tensor.substring(0, colon);
  }

  private static void checkTensorName(String tensor, String what, boolean anyIndex) {
    checkArgument(tensor != null && !tensor.isEmpty(), "%s has no tensor name", what);
    int colon = tensor.lastIndexOf(':');
    checkArgument(colon > 0 && (tensor.substring(colon + 1).equals("0")
        || anyIndex && tensor.substring(colon + 1).matches("[0-9]+")), "%s: tensor name '%s' "
        + "must be the first output of a node, 'node:0'", what, tensor);
    for (String part : tensor.substring(0, colon).split("/", -1)) {
      checkArgument(NAME_PART.matcher(part).matches(), "%s: '%s' is not a valid TensorFlow "
          + "node name", what, tensor);
    }
  }
}
