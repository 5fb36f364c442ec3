package org.tfprune.export;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.util.HashSet;
import java.util.Set;
import org.tensorflow.proto.GraphDef;

/**
 * The whole serving interface of an imported model beyond its network: every signature (key,
 * method, input and output keys with their tensor names) and the fixed regions copied unchanged
 * into the export, the prefix between the signature inputs and the network ({@link #before}:
 * input rescaling, a reshape, a {@code tf.Example} parser, constants) and the suffix computed from
 * the logits ({@link #after}: softmax, {@code ArgMax} classes, {@code TopK}, a class-name
 * lookup). The pruned network reads {@link #networkInput} and its logits take the name
 * {@link #logitsNode}, which the suffix reads.
 *
 * @param before nodes that do not depend on the logits; self-contained (weights as constants)
 * @param after nodes that depend on the logits, inputs before their consumers; they read the
 *     logits node, {@code before}'s nodes and each other only
 * @param networkInput the tensor the network reads, e.g. {@code rescaling/sub:0}
 * @param logitsNode the node of the original logits, e.g. {@code dense_2/BiasAdd}
 * @param kept why each fixed node was kept: node name to a short reason
 */
public record ServingContract(ImmutableList<Signature> signatures, GraphDef before,
    GraphDef after, String networkInput, String logitsNode, ImmutableMap<String, String> kept) {

  /** One signature as the export keeps it: keys map to tensor names ({@code node:index}). */
  public record Signature(String key, String methodName, ImmutableMap<String, String> inputs,
      ImmutableMap<String, String> outputs) {
    public Signature {
      checkArgument(key != null && !key.isEmpty(), "a signature key must not be empty");
      checkNotNull(methodName, "method name of signature %s", key);
      checkArgument(!inputs.isEmpty(), "signature %s has no inputs", key);
      checkArgument(!outputs.isEmpty(), "signature %s has no outputs", key);
    }
  }

  public ServingContract {
    checkArgument(!signatures.isEmpty(), "a serving contract needs a signature");
    checkNotNull(before, "before");
    checkNotNull(after, "after");
    checkNotNull(networkInput, "networkInput");
    checkNotNull(logitsNode, "logitsNode");
    checkNotNull(kept, "kept");
    Set<String> keys = new HashSet<>();
    for (Signature s : signatures) {
      checkArgument(keys.add(s.key()), "two signatures with key '%s'", s.key());
    }
  }

  /** The node the network reads (the tensor name without its index). */
  public String networkInputNode() {
    return ServingSignature.nodeOf(networkInput);
  }

  /** The output index of {@link #networkInput}. */
  public int networkInputIndex() {
    int colon = networkInput.lastIndexOf(':');
    return colon < 0 ? 0 : Integer.parseInt(networkInput.substring(colon + 1));
  }

  /** A signature by key. */
  public Signature signature(String key) {
    return signatures.stream().filter(s -> s.key().equals(key)).findFirst().orElseThrow(
        () -> new IllegalArgumentException("no signature '" + key + "'"));
  }
}
