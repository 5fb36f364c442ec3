package org.tfprune.imports;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tfprune.build.ForwardPass;
import org.tfprune.build.NetworkBuilder;
import org.tfprune.build.NetworkGraph;
import org.tfprune.export.ServingSignature;
import org.tfprune.op.GateMode;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;

/**
 * The comparison of an imported model with its original: the gated network built from the
 * imported spec, every gate open (deterministic mode, {@code theta = 1}), against the original
 * model's signature outputs on the same examples; the largest absolute difference per output.
 */
public record ImportCheck(int examples, ImmutableMap<String, Double> maxAbsDiffByOutput) {
  /** The largest difference over all outputs. */
  public double maxAbsDiff() {
    return maxAbsDiffByOutput.values().stream().mapToDouble(Double::doubleValue).max()
        .orElse(0);
  }

  /** Whether every output agrees within {@code tolerance}. */
  public boolean passes(double tolerance) {
    return maxAbsDiff() <= tolerance;
  }

  /** Runs the comparison on {@code count} examples held row-major in {@code x}. */
  public static ImportCheck run(SourceModel source, ImportedModel model, float[] x, int count) {
    checkArgument(count > 0, "the check needs at least one example");
    if (model.signature().contract() != null) {
      return new ImportCheck(count, ContractCheck.run(source, model, x, count));
    }
    Map<String, HostTensor> original = source.outputs(x, count);
    Map<String, HostTensor> imported = gatesOpen(model, x, count);
    Map<String, Double> diff = new LinkedHashMap<>();
    for (ServingSignature.Output o : model.signature().outputs()) {
      diff.put(o.key(), imported.get(o.key()).maxAbsDiff(original.get(o.key())));
    }
    return new ImportCheck(count, ImmutableMap.copyOf(diff));
  }

  /** The imported network's outputs, by signature key, with every gate open. */
  static Map<String, HostTensor> gatesOpen(ImportedModel model, float[] x, int count) {
    ParameterSet params = model.parameters();
    for (String group : params.thetas().keySet()) {
      int n = params.thetas().get(group).length;
      float[] ones = new float[n];
      java.util.Arrays.fill(ones, 1f);
      params = params.with(ParameterSet.key(group, ParameterSet.THETA),
          new HostTensor(new long[] {n}, ones));
    }
    boolean gated = model.spec().hasGates();
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      NetworkGraph net = NetworkBuilder.build(tf, model.spec(), gated, 0);
      ForwardPass pass = net.forward(gated ? GateMode.DETERMINISTIC : GateMode.NONE, "check");
      Operand<TFloat32> probs = tf.nn.softmax(pass.logits());
      net.initialize(s, params);
      long[] shape = NetworkBuilder.inputShape(model.spec()).asArray();
      shape[0] = count;
      try (TFloat32 xt = TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(x, true, false));
          Result r = s.runner().feed(net.input(), xt).fetch(pass.logits()).fetch(probs).run()) {
        HostTensor logits = HostTensor.of((TFloat32) r.get(0));
        HostTensor p = HostTensor.of((TFloat32) r.get(1));
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (ServingSignature.Output o : model.signature().outputs()) {
          out.put(o.key(), o.kind() == ServingSignature.Kind.LOGITS ? logits : p);
        }
        return out;
      }
    }
  }
}
