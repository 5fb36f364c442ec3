package org.tfprune.imports;

import com.google.common.collect.ImmutableMap;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.NdArray;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TFloat32;
import org.tfprune.export.InferenceModel;
import org.tfprune.export.ServingContract;
import org.tfprune.export.ServingSignature;

/**
 * The import check of a model with a {@link ServingContract}: the export-shaped model built from
 * the imported spec with every gate open against the original, on every output of every
 * signature that the network feeds (the logits and what the kept suffix computes from them:
 * probabilities, classes, top-k, names), with the examples fed at the network input, and on
 * every output computed from the signature's other inputs alone (a key passed through), fed
 * generated values ({@link InputValues}). Numbers are
 * compared by absolute difference; any other value (a class name) counts as an infinite
 * difference when it differs.
 */
final class ContractCheck {
  private ContractCheck() {}

  /**
   * Largest difference per output: the chosen signature's by key, others' as key/output. A
   * signature of a flattened TF2 model is compared with the loaded original run through that
   * signature's own tensors ({@link SourceModel#original}), so the check covers the flattening
   * and the merging of the signatures' networks too.
   */
  static ImmutableMap<String, Double> run(SourceModel source, ImportedModel model, float[] x,
      int count) {
    ServingSignature sig = model.signature();
    ServingContract c = sig.contract();
    Set<String> after = new LinkedHashSet<>();
    c.after().getNodeList().forEach((NodeDef n) -> after.add(n.getName()));
    Map<String, NodeDef> before = new LinkedHashMap<>();
    c.before().getNodeList().forEach((NodeDef n) -> before.put(n.getName(), n));
    long[] shape = source.inputShape();
    shape[0] = count;
    Map<String, Double> diff = new LinkedHashMap<>();
    List<Tensor> fed = new ArrayList<>();
    try (InferenceModel m = InferenceModel.of(model.spec(), model.parameters(), sig);
        TFloat32 xt = TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(x, true, false))) {
      for (ServingContract.Signature s : c.signatures()) {
        Map<String, Tensor> extra = extraInputs(s, sig, c, before, count, fed);
        Set<String> extraNodes = new HashSet<>();
        extra.keySet().forEach(k -> extraNodes.add(ServingSignature.nodeOf(s.inputs().get(k))));
        Map<String, String> fetch = new LinkedHashMap<>(); // output key to exported tensor
        s.outputs().forEach((k, t) -> {
          String node = ServingSignature.nodeOf(t);
          if (node.equals(c.logitsNode()) || after.contains(node)
              || passedThrough(node, before, c.networkInputNode(), extraNodes)) {
            fetch.put(k, t);
          }
        });
        if (fetch.isEmpty()) {
          continue;
        }
        List<String> keys = new ArrayList<>(fetch.keySet());
        List<String> tensors = keys.stream().map(fetch::get).toList();
        Map<String, Tensor> feeds = new LinkedHashMap<>();
        extra.forEach((k, t) -> feeds.put(s.inputs().get(k), t));
        Optional<ServingContract.Signature> original = source.original(s.key());
        Map<String, Tensor> originalFeeds = new LinkedHashMap<>();
        original.ifPresent(o -> extra.forEach((k, t) -> originalFeeds.put(o.inputs().get(k), t)));
        try (Result a = original.isPresent()
                ? runSource(source, source.originalSession(), original.get().inputs().get(
                    s.key().equals(sig.key()) ? sig.inputKey() : original.get().inputs()
                        .keySet().iterator().next()), xt, originalFeeds,
                    keys.stream().map(original.get().outputs()::get).toList())
                : runSource(source, source.session(), c.networkInput(), xt, feeds, tensors);
            Result b = run(m.session(), c.networkInput(), xt, feeds, tensors)) {
          for (int i = 0; i < keys.size(); i++) {
            diff.put(s.key().equals(sig.key()) ? keys.get(i) : s.key() + "/" + keys.get(i),
                maxAbsDiff(a.get(i), b.get(i)));
          }
        }
      }
    } finally {
      fed.forEach(Tensor::close);
    }
    return ImmutableMap.copyOf(diff);
  }

  /**
   * Values for the inputs of {@code s} other than the network's (e.g. a key passed through), by
   * input key: placeholders of the kept prefix of a dtype {@link InputValues} generates.
   */
  private static Map<String, Tensor> extraInputs(ServingContract.Signature s,
      ServingSignature sig, ServingContract c, Map<String, NodeDef> before, int count,
      List<Tensor> fed) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    s.inputs().forEach((k, t) -> {
      String node = ServingSignature.nodeOf(t);
      NodeDef n = before.get(node);
      if (n != null && n.getOp().startsWith("Placeholder") && !node.equals(sig.inputNode())
          && !node.equals(c.networkInputNode())) {
        InputValues.of(n, count).ifPresent(v -> {
          fed.add(v);
          out.put(k, v);
        });
      }
    });
    return out;
  }

  /**
   * Whether the kept prefix node {@code node} is computed from the fed extra inputs (and
   * constants) only, reading one of them at least: an output passed through.
   */
  private static boolean passedThrough(String node, Map<String, NodeDef> before,
      String networkInput, Set<String> extraNodes) {
    if (!before.containsKey(node) || extraNodes.isEmpty()) {
      return false;
    }
    Set<String> seen = new HashSet<>();
    Deque<String> todo = new ArrayDeque<>(List.of(node));
    boolean readsExtra = false;
    while (!todo.isEmpty()) {
      String name = todo.pop();
      if (!seen.add(name)) {
        continue;
      }
      if (extraNodes.contains(name)) {
        readsExtra = true;
        continue;
      }
      NodeDef n = before.get(name);
      if (name.equals(networkInput) || n == null || n.getOp().startsWith("Placeholder")) {
        return false;
      }
      GraphIndex.dataInputs(n).forEach(i -> todo.push(i.node()));
    }
    return readsExtra;
  }

  /**
   * Runs the source model on {@code session}, with {@code feeds} (tensor name to value) and its
   * training-only placeholders fed.
   */
  private static Result runSource(SourceModel source, Session session, String input, Tensor x,
      Map<String, Tensor> feeds, List<String> fetches) {
    Session.Runner r = session.runner().feed(input, x);
    feeds.forEach(r::feed);
    fetches.forEach(r::fetch);
    List<Tensor> fed = source.feedTrainingValues(r);
    try {
      return r.run();
    } finally {
      fed.forEach(Tensor::close);
    }
  }

  private static Result run(Session s, String input, Tensor x, Map<String, Tensor> feeds,
      List<String> fetches) {
    Session.Runner r = s.runner().feed(input, x);
    feeds.forEach(r::feed);
    fetches.forEach(r::fetch);
    return r.run();
  }

  /** The largest absolute difference; infinite when shapes or non-numeric values differ. */
  static double maxAbsDiff(Tensor a, Tensor b) {
    if (!Arrays.equals(a.shape().asArray(), b.shape().asArray())
        || a.dataType() != b.dataType()) {
      return Double.POSITIVE_INFINITY;
    }
    Iterator<? extends NdArray<?>> ia = ((NdArray<?>) a).scalars().iterator();
    Iterator<? extends NdArray<?>> ib = ((NdArray<?>) b).scalars().iterator();
    double max = 0;
    while (ia.hasNext() && ib.hasNext()) {
      Object va = ia.next().getObject();
      Object vb = ib.next().getObject();
      if (va instanceof Number na && vb instanceof Number nb) {
        double d = Math.abs(na.doubleValue() - nb.doubleValue());
        if (!(d <= max)) {
          max = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
        }
      } else if (!va.equals(vb)) {
        return Double.POSITIVE_INFINITY;
      }
    }
    return max;
  }
}
