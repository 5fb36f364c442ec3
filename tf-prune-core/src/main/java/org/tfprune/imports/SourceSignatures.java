package org.tfprune.imports;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tfprune.export.ServingContract;

/**
 * Every signature of a meta graph as keys to tensor names, the chosen one first; signatures
 * with a sparse or composite tensor (no name) or without inputs or outputs are left out, each
 * with a note saying why.
 */
final class SourceSignatures {
  private SourceSignatures() {}

  static ImmutableList<ServingContract.Signature> all(MetaGraphDef meta, SourceSignature chosen,
      List<String> notes) {
    List<ServingContract.Signature> out = new ArrayList<>();
    out.add(new ServingContract.Signature(chosen.key(), chosen.methodName(),
        chosen.inputs(), chosen.outputs()));
    for (Map.Entry<String, SignatureDef> e : new TreeMap<>(meta.getSignatureDefMap())
        .entrySet()) {
      if (e.getKey().equals(chosen.key()) || e.getKey().equals("__saved_model_init_op")) {
        continue;
      }
      SignatureDef s = e.getValue();
      Map<String, String> in = names(s.getInputsMap());
      Map<String, String> outs = names(s.getOutputsMap());
      if (in == null || outs == null || in.isEmpty() || outs.isEmpty()) {
        notes.add("signature '" + e.getKey() + "' is not exported: " + (in == null
            || outs == null ? "it has a tensor without a name (a sparse or composite tensor); "
            + "tf-prune keeps dense named tensors" : "it has no " + (in.isEmpty() ? "inputs"
            : "outputs")));
        continue;
      }
      out.add(new ServingContract.Signature(e.getKey(), s.getMethodName(),
          ImmutableMap.copyOf(in), ImmutableMap.copyOf(outs)));
    }
    return ImmutableList.copyOf(out);
  }

  private static Map<String, String> names(Map<String, TensorInfo> infos) {
    Map<String, String> m = new TreeMap<>();
    for (Map.Entry<String, TensorInfo> e : infos.entrySet()) {
      String n = e.getValue().getName();
      if (n.isEmpty()) {
        return null;
      }
      m.put(e.getKey(), n.contains(":") ? n : n + ":0");
    }
    return m;
  }
}
