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
 * sample batch. Every logit must agree within the bound float32 rounding can explain ({@link
 * RoundingBound}: it scales with the magnitude of the accumulations behind the logit and the
 * number of roundings on its way); a compact model that differs by more is refused. The same
 * bound covers exports with batch norm folded.
 */
public final class CompactExporter {
  /**
   * No longer used: the check derives its bound from the computation ({@link RoundingBound}).
   *
   * @deprecated call the overloads without a tolerance
   */
  @Deprecated
  public static final double DEFAULT_TOLERANCE = 1e-5;

  private CompactExporter() {}

  /**
   * Builds and verifies the compact model. The caller closes it (and may {@link
   * InferenceModel#save} it).
   *
   * @param sample {@code count} real examples, row-major, for the verification
   */
  public static VerifiedModel compact(ArchitectureSpec spec, ParameterSet params, KeepMask keep,
      float[] sample, int count) {
    return compact(spec, params, keep, sample, count, ServingSignature.DEFAULT,
        ExportSettings.DEFAULT);
  }

  /**
   * Like {@link #compact(ArchitectureSpec, ParameterSet, KeepMask, float[], int)}, with the
   * serving interface {@code signature} (e.g. the one of the model that was imported).
   */
  public static VerifiedModel compact(ArchitectureSpec spec, ParameterSet params, KeepMask keep,
      float[] sample, int count, ServingSignature signature) {
    return compact(spec, params, keep, sample, count, signature, ExportSettings.DEFAULT);
  }

  /**
   * As {@link #compact(ArchitectureSpec, ParameterSet, KeepMask, float[], int)}.
   *
   * @deprecated {@code tolerance} is ignored: the bound is derived ({@link RoundingBound})
   */
  @Deprecated
  public static VerifiedModel compact(ArchitectureSpec spec, ParameterSet params, KeepMask keep,
      float[] sample, int count, double tolerance) {
    return compact(spec, params, keep, sample, count);
  }

  /**
   * As {@link #compact(ArchitectureSpec, ParameterSet, KeepMask, float[], int, ServingSignature)}.
   *
   * @deprecated {@code tolerance} is ignored: the bound is derived ({@link RoundingBound})
   */
  @Deprecated
  public static VerifiedModel compact(ArchitectureSpec spec, ParameterSet params, KeepMask keep,
      float[] sample, int count, double tolerance, ServingSignature signature) {
    return compact(spec, params, keep, sample, count, signature);
  }

  /**
   * As {@link #compact(ArchitectureSpec, ParameterSet, KeepMask, float[], int, ServingSignature,
   * ExportSettings)}.
   *
   * @deprecated {@code tolerance} is ignored: the bound is derived ({@link RoundingBound})
   */
  @Deprecated
  public static VerifiedModel compact(ArchitectureSpec spec, ParameterSet params, KeepMask keep,
      float[] sample, int count, double tolerance, ServingSignature signature,
      ExportSettings settings) {
    return compact(spec, params, keep, sample, count, signature, settings);
  }

  /**
   * Like {@link #compact(ArchitectureSpec, ParameterSet, KeepMask, float[], int,
   * ServingSignature)}, with widths rounded and batch norm folded as {@code settings} asks.
   */
  public static VerifiedModel compact(ArchitectureSpec spec, ParameterSet params, KeepMask keep,
      float[] sample, int count, ServingSignature signature, ExportSettings settings) {
    checkArgument(count > 0, "verification needs at least one example");
    WidthRounding.Rounded kept = settings.roundWidths() > 1 && spec.hasGates()
        ? WidthRounding.roundUp(spec, params, keep, settings.roundWidths())
        : new WidthRounding.Rounded(params, keep);
    if (settings.inputSpan() && spec.hasGates()) {
      kept = InputSpan.widen(spec, kept.parameters(), kept.keep());
    }
    ArchitectureSpec compactSpec = spec.hasGates() ? spec.compact(kept.keep()) : spec;
    ParameterSet sliced = spec.hasGates()
        ? WeightSlicer.slice(spec, kept.parameters(), kept.keep()) : params;
    if (settings.foldBatchNorm()) {
      BatchNormFolding.Folded folded = BatchNormFolding.fold(compactSpec, sliced);
      compactSpec = folded.spec();
      sliced = folded.parameters();
    }
    return verify(spec, params, sample, count, compactSpec, sliced, signature,
        settings.foldBatchNorm());
  }

  /**
   * Builds the compact model {@code compactSpec} with {@code sliced} and checks it against the
   * gated network {@code spec} with {@code params}; {@code folded}: batch norm was folded.
   */
  static VerifiedModel verify(ArchitectureSpec spec, ParameterSet params, float[] sample,
      int count, ArchitectureSpec compactSpec, ParameterSet sliced, ServingSignature signature,
      boolean folded) {
    HostTensor reference = gatedLogits(spec, params, sample, count);
    HostTensor bound = RoundingBound.perLogit(spec, params, sample, count, reference,
        RoundingBound.roundings(spec, false),
        RoundingBound.roundings(compactSpec, folded));
    InferenceModel model = InferenceModel.of(compactSpec, sliced, signature);
    try {
      HostTensor compactLogits = model.predict(sample, count);
      Comparison c = compare(compactLogits, reference, bound);
      if (!(c.fractionOfBound() <= 1)) {
        throw new ExportException(String.format("the compact model differs from the gated network "
            + "by %.3g at a logit where float32 rounding explains at most %.3g (%s; max abs "
            + "logit difference %.3g over %d examples); nothing was written. This is a bug in "
            + "tf-prune: please report it with the spec %s", c.diffAtWorst(), c.boundAtWorst(),
            Double.isFinite(c.fractionOfBound()) ? String.format("%.3g times the bound",
                c.fractionOfBound()) : "a logit is not finite", c.maxAbsDiff(), count,
            spec.widthString()));
      }
      return new VerifiedModel(model, c.maxAbsDiff(), c.fractionOfBound(), c.boundAtMaxDiff());
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  /**
   * The comparison of compact and gated logits against per-logit bounds: the largest difference,
   * the largest ratio of difference to bound (NaN or infinite when a logit is not finite), the
   * difference and bound at that logit, and the bound at the logit of the largest difference.
   */
  record Comparison(double maxAbsDiff, double fractionOfBound, double diffAtWorst,
      double boundAtWorst, double boundAtMaxDiff) {}

  static Comparison compare(HostTensor compact, HostTensor gated, HostTensor bound) {
    checkArgument(java.util.Arrays.equals(compact.shape(), gated.shape()),
        "compact logits %s and gated logits %s differ in shape",
        java.util.Arrays.toString(compact.shape()), java.util.Arrays.toString(gated.shape()));
    double max = 0;
    double worst = 0;
    double diffAtWorst = 0;
    double boundAtWorst = bound.size() == 0 ? 0 : bound.get(0);
    double boundAtMax = boundAtWorst;
    for (int i = 0; i < compact.size(); i++) {
      double a = compact.get(i);
      double b = gated.get(i);
      double d = Math.abs(a - b);
      double limit = bound.get(i);
      if (!Double.isFinite(a) || !Double.isFinite(b) || !Double.isFinite(limit)) {
        return new Comparison(Double.NaN, Double.NaN, d, limit, limit);
      }
      if (d > max) {
        max = d;
        boundAtMax = limit;
      }
      // a zero bound (the logit's accumulations are all 0) accepts only an exact match
      double ratio = d == 0 ? 0 : limit > 0 ? d / limit : Double.POSITIVE_INFINITY;
      if (ratio > worst) {
        worst = ratio;
        diffAtWorst = d;
        boundAtWorst = limit;
      }
    }
    return new Comparison(max, worst, diffAtWorst, boundAtWorst, boundAtMax);
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

  /**
   * A compact model and its comparison with the gated network: the largest absolute logit
   * difference, the largest ratio of a logit's difference to its rounding bound (at most 1), and
   * the bound at the logit of the largest difference (which that difference does not exceed).
   */
  public record VerifiedModel(InferenceModel model, double maxAbsDiff, double fractionOfBound,
      double boundAtMaxDiff) implements AutoCloseable {
    @Override
    public void close() {
      model.close();
    }
  }
}
