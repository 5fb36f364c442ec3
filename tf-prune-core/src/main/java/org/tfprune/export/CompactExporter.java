package org.tfprune.export;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.LinkedHashMap;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tfprune.build.ForwardPass;
import org.tfprune.build.NetworkBuilder;
import org.tfprune.build.NetworkGraph;
import org.tfprune.op.GateMode;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.slice.WeightSlicer;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.KeepMask;

/**
 * Turns a trained gated network into its compact form: the keep-mask's dead units and input
 * features are removed from the spec, the weights are sliced to fit, the one builder builds the
 * gate-free graph, and the result is compared with the gated network in deterministic mode on a
 * sample batch. A compact model that differs by more than the tolerance is refused.
 */
public final class CompactExporter {
  /** Largest max-abs difference of logits accepted between compact and gated networks. */
  public static final double DEFAULT_TOLERANCE = 1e-5;

  private CompactExporter() {}

  /**
   * Builds and verifies the compact model. The caller closes it (and may {@link
   * InferenceModel#save} it).
   *
   * @param sample {@code count} real examples, row-major, for the verification
   */
  public static VerifiedModel compact(ArchitectureSpec spec, ParameterSet params, KeepMask keep,
      float[] sample, int count, double tolerance) {
    return compact(spec, params, keep, sample, count, tolerance, ServingSignature.DEFAULT);
  }

  /**
   * Like {@link #compact(ArchitectureSpec, ParameterSet, KeepMask, float[], int, double)}, with
   * the serving interface {@code signature} (e.g. the one of the model that was imported).
   */
  public static VerifiedModel compact(ArchitectureSpec spec, ParameterSet params, KeepMask keep,
      float[] sample, int count, double tolerance, ServingSignature signature) {
    return compact(spec, params, keep, sample, count, tolerance, signature,
        ExportSettings.DEFAULT);
  }

  /**
   * Like {@link #compact(ArchitectureSpec, ParameterSet, KeepMask, float[], int, double,
   * ServingSignature)}, with widths rounded and batch norm folded as {@code settings} asks; the
   * verification accepts the larger of {@code tolerance} and {@code settings.tolerance()}.
   */
  public static VerifiedModel compact(ArchitectureSpec spec, ParameterSet params, KeepMask keep,
      float[] sample, int count, double tolerance, ServingSignature signature,
      ExportSettings settings) {
    checkArgument(count > 0, "verification needs at least one example");
    WidthRounding.Rounded kept = settings.roundWidths() > 1 && spec.hasGates()
        ? WidthRounding.roundUp(spec, params, keep, settings.roundWidths())
        : new WidthRounding.Rounded(params, keep);
    ArchitectureSpec compactSpec = spec.hasGates() ? spec.compact(kept.keep()) : spec;
    ParameterSet sliced = spec.hasGates()
        ? WeightSlicer.slice(spec, kept.parameters(), kept.keep()) : params;
    if (settings.foldBatchNorm()) {
      BatchNormFolding.Folded folded = BatchNormFolding.fold(compactSpec, sliced);
      compactSpec = folded.spec();
      sliced = folded.parameters();
      tolerance = Math.max(tolerance, settings.tolerance());
    }
    HostTensor reference = gatedLogits(spec, params, sample, count);
    InferenceModel model = InferenceModel.of(compactSpec, sliced, signature);
    try {
      HostTensor compactLogits = model.predict(sample, count);
      double diff = compactLogits.maxAbsDiff(reference);
      if (!(diff <= tolerance)) {
        throw new ExportException(String.format("the compact model differs from the gated network "
            + "by %.3g (max abs logit difference over %d examples), more than the tolerance %.1g; "
            + "nothing was written. This is a bug in tf-prune: please report it with the spec %s",
            diff, count, tolerance, spec.widthString()));
      }
      return new VerifiedModel(model, diff);
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  /** Logits of the gated network in deterministic mode (theta >= 0.5 kept). */
  public static HostTensor gatedLogits(ArchitectureSpec spec, ParameterSet params, float[] x,
      int count) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      NetworkGraph net = NetworkBuilder.build(tf, spec, spec.hasGates(), 0);
      ForwardPass pass = net.forward(spec.hasGates() ? GateMode.DETERMINISTIC : GateMode.NONE,
          "reference");
      Map<String, HostTensor> init = new LinkedHashMap<>(params.asMap());
      net.initialize(s, new ParameterSet(init));
      long[] shape = new long[spec.input().shape().size() + 1];
      shape[0] = count;
      for (int i = 1; i < shape.length; i++) {
        shape[i] = spec.input().shape().get(i - 1);
      }
      try (TFloat32 xt = TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(x, true, false));
          Result r = s.runner().feed(net.input(), xt).fetch(pass.logits()).run()) {
        return HostTensor.of((TFloat32) r.get(0));
      }
    }
  }

  /** A compact model and the difference measured against the gated network. */
  public record VerifiedModel(InferenceModel model, double maxAbsDiff) implements AutoCloseable {
    @Override
    public void close() {
      model.close();
    }
  }
}
