package org.tfprune.imports;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;

/**
 * The serving signature of a model to import, as written in its files: key, method, the one input
 * (key and tensor name) and the outputs (key to tensor name). What each output holds is found
 * later, by reading the graph.
 */
public record SourceSignature(String key, String methodName, String inputKey, String inputTensor,
    ImmutableMap<String, String> outputs) {
  public SourceSignature {
    checkArgument(!outputs.isEmpty(), "signature %s has no outputs", key);
  }
}
