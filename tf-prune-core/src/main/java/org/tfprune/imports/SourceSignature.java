package org.tfprune.imports;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableMap;

/**
 * The serving signature of a model to import, as written in its files: key, method, the input the
 * network reads (key and tensor name), the outputs (key to tensor name) and the signature's other
 * inputs (key to tensor name), which feed only outputs that do not read the logits (e.g. a key
 * passed through). What each output holds is found later, by reading the graph.
 */
public record SourceSignature(String key, String methodName, String inputKey, String inputTensor,
    ImmutableMap<String, String> outputs, ImmutableMap<String, String> otherInputs) {
  public SourceSignature {
    checkArgument(!outputs.isEmpty(), "signature %s has no outputs", key);
    checkNotNull(otherInputs, "other inputs of signature %s", key);
    checkArgument(!otherInputs.containsKey(inputKey), "signature %s lists the input %s twice",
        key, inputKey);
  }

  /** A signature whose one input feeds the network. */
  public SourceSignature(String key, String methodName, String inputKey, String inputTensor,
      ImmutableMap<String, String> outputs) {
    this(key, methodName, inputKey, inputTensor, outputs, ImmutableMap.of());
  }

  /** Every input, key to tensor name: the network's first, then the others. */
  public ImmutableMap<String, String> inputs() {
    return ImmutableMap.<String, String>builder().put(inputKey, inputTensor)
        .putAll(otherInputs).build();
  }
}
