package org.tfprune.models;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tfprune.build.ParameterInitializer;
import org.tfprune.complexity.ComplexityCounter;
import org.tfprune.export.CompactExporter;
import org.tfprune.export.ExportSettings;
import org.tfprune.export.InferenceModel;
import org.tfprune.export.ServingSignature;
import org.tfprune.export.WidthRounding;
import org.tfprune.export.SavedModelInspector;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.GateGroup;
import org.tfprune.spec.KeepMask;
import org.tfprune.testing.Mnist;

/**
 * For every reference model: with some filters, units and whole residual blocks switched off,
 * the exported SavedModel, reloaded in a fresh session, equals the gated network in deterministic
 * mode within the exporter's verification bound on a batch the exporter did not check (with no
 * zero pixel, borders included), also with widths rounded and batch norm folded, and its
 * complexity read back from the exported graph equals the host count.
 */
class ModelExportTest {
  /**
   * Every reference model at small widths (ResNet-110 is ResNet-56's blocks 18 times per stage
   * instead of 9; {@link CoupledResNetTest} builds its spec).
   */
  static Stream<Arguments> models() {
    return Stream.of(
        Arguments.of(LeNet300100.create(784, 10, 0.25, true), false),
        Arguments.of(LeNet5.create(28, 28, 1, 10, 0.5), false),
        Arguments.of(Vgg16.create(28, 28, 1, 10, 0.125), false),
        Arguments.of(ResNet.create(20, 28, 28, 1, 10, 0.5), false),
        Arguments.of(ResNet.create(32, 28, 28, 1, 10, 0.25), false),
        Arguments.of(ResNet.create(56, 28, 28, 1, 10, 0.25), false),
        Arguments.of(ResNet.create(20, 32, 32, 3, 10, 0.25), true),
        Arguments.of(Vgg16.create(32, 32, 3, 10, 0.125), true),
        Arguments.of(LeNet5.create(32, 32, 3, 10, 0.5), true));
  }

  /**
   * The bound the served model is held to against the gated network: the exporter's own
   * verification bound ({@link CompactExporter#DEFAULT_TOLERANCE}, or {@link
   * ExportSettings#tolerance()} with batch norm folded), so a model the exporter accepts on its
   * sample batch must also hold on any other batch.
   */
  private static double exportBound(ExportSettings settings) {
    return settings.tolerance();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void savedModelReloadedEqualsGatedNetworkOnAnotherBatchAndItsGraphCountsMatch(
      ArchitectureSpec spec, boolean colour, @TempDir Path dir) {
    int count = 32;
    float[] checked = images(colour, 0, count, false);
    ParameterSet params = perturbed(spec, ParameterInitializer.initialize(spec, 3, 1f), 11);
    KeepMask keep = KeepMask.fromTheta(params.thetas());
    ArchitectureSpec compact = spec.compact(keep);
    assertThat(keep.removed()).isPositive();
    ArchitectureSpec exported;
    try (CompactExporter.VerifiedModel m = CompactExporter.compact(spec, params, keep, checked,
        count, CompactExporter.DEFAULT_TOLERANCE)) {
      exported = m.model().spec();
      // the default export folds batch norm into the convolutions
      assertThat(m.model().graphDef().getNodeList()).noneMatch(
          n -> n.getOp().startsWith("FusedBatchNorm"));
      m.model().save(dir.resolve("model"), false, Map.of());
    }
    // a fresh session on the files as written, fed a batch the exporter never saw: other digits
    // on a noisy background, so every border pixel (and every removed input feature) is non-zero
    float[] other = images(colour, count, count, true);
    HostTensor gated = CompactExporter.gatedLogits(spec, params, other, count);
    HostTensor served = served(dir.resolve("model"), other, count, spec);
    double diff = served.maxAbsDiff(gated);
    System.out.printf("%s: max |reloaded - gated| = %.3g on another batch (max |logit| %.3g)%n",
        spec.name(), diff, maxAbs(gated));
    assertThat(diff).isLessThanOrEqualTo(exportBound(ExportSettings.DEFAULT));
    // the MACs and parameters read back from the exported graph are the host's count
    SavedModelInspector saved = SavedModelInspector.open(dir.resolve("model"));
    assertThat(saved.complexity()).isEqualTo(ComplexityCounter.count(exported));
    // folding batch norm leaves the MACs alone; reading the kept input features' span adds the
    // span's pruned features to the first layer's MACs
    if (spec.input().gated()) {
      assertThat(saved.complexity().macs()).isGreaterThanOrEqualTo(
          ComplexityCounter.count(compact).macs());
    } else {
      assertThat(saved.complexity().macs()).isEqualTo(ComplexityCounter.count(compact).macs());
    }
    assertThat(saved.placedNodes()).isZero();
    assertThat(ComplexityCounter.count(compact).macs())
        .isLessThan(ComplexityCounter.count(spec).macs());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void widthsRoundedUpToAMultipleStayExact(ArchitectureSpec spec, boolean colour) {
    int count = 32;
    float[] x = images(colour, 0, count, false);
    ParameterSet params = perturbed(spec, ParameterInitializer.initialize(spec, 3, 1f), 11);
    KeepMask keep = KeepMask.fromTheta(params.thetas());
    WidthRounding.Rounded r = WidthRounding.roundUp(spec, params, keep, 4);
    int added = 0;
    for (GateGroup g : spec.gateGroups()) {
      int before = keep.count(g.name());
      int after = r.keep().count(g.name());
      if (g.kind() == GateGroup.Kind.UNIT && !g.name().equals("input") && before > 0) {
        assertThat(after).as(g.name()).isEqualTo(Math.min(g.size(), (before + 3) / 4 * 4));
        added += after - before;
      } else {
        assertThat(after).isEqualTo(before);
      }
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(added > 0, "every width already a multiple");
    // the exporter checks the rounded model against the gated network with the rounded weights;
    // rounding must not change the function: the rounded model computes the gated network of
    // the weights as trained, on another batch
    float[] other = images(colour, count, count, true);
    HostTensor asTrained = CompactExporter.gatedLogits(spec, params, other, count);
    try (CompactExporter.VerifiedModel m = CompactExporter.compact(spec, r.parameters(),
        r.keep(), x, count, CompactExporter.DEFAULT_TOLERANCE)) {
      assertThat(m.model().predict(other, count).maxAbsDiff(asTrained))
          .isLessThanOrEqualTo(exportBound(ExportSettings.DEFAULT));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void batchNormFoldedIntoConvolutionsStaysWithinItsTolerance(ArchitectureSpec spec,
      boolean colour, @TempDir Path dir) {
    int count = 32;
    float[] x = images(colour, 0, count, false);
    float[] other = images(colour, count, count, true);
    ParameterSet params = perturbed(spec, ParameterInitializer.initialize(spec, 3, 1f), 11);
    KeepMask keep = KeepMask.fromTheta(params.thetas());
    ExportSettings folded = new ExportSettings(1, true);
    try (CompactExporter.VerifiedModel m = CompactExporter.compact(spec, params, keep, x, count,
        CompactExporter.DEFAULT_TOLERANCE, ServingSignature.DEFAULT, folded)) {
      assertThat(m.model().graphDef().getNodeList()).noneMatch(
          n -> n.getOp().startsWith("FusedBatchNorm"));
      m.model().save(dir.resolve("model"), false, Map.of());
      assertThat(SavedModelInspector.open(dir.resolve("model")).complexity())
          .isEqualTo(ComplexityCounter.count(m.model().spec()));
    }
    HostTensor gated = CompactExporter.gatedLogits(spec, params, other, count);
    assertThat(served(dir.resolve("model"), other, count, spec).maxAbsDiff(gated))
        .isLessThanOrEqualTo(exportBound(folded));
  }

  /** Logits of the SavedModel in {@code dir}, loaded by plain TF-Java in a fresh session. */
  static HostTensor served(Path dir, float[] x, int count, ArchitectureSpec spec) {
    long[] shape = new long[spec.input().shape().size() + 1];
    shape[0] = count;
    for (int i = 1; i < shape.length; i++) {
      shape[i] = spec.input().shape().get(i - 1);
    }
    try (SavedModelBundle b = SavedModelBundle.load(dir.toString(), "serve");
        TFloat32 xt = TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(x, true, false));
        Result r = b.function(InferenceModel.SIGNATURE_KEY).call(Map.of("input", xt))) {
      return HostTensor.of((TFloat32) r.get(InferenceModel.LOGITS).orElseThrow());
    }
  }

  private static double maxAbs(HostTensor t) {
    double m = 0;
    for (float v : t.values()) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }

  /**
   * {@code n} test images from the {@code from}-th on: MNIST digits, or colour images built from
   * them; with {@code background}, every pixel is at least a seeded uniform value in [0, 0.5), so
   * no pixel (border included) is zero.
   */
  static float[] images(boolean colour, int from, int n, boolean background) {
    float[] all = colour ? colourImages(from + n) : Mnist.test(from + n).features();
    int size = all.length / (from + n);
    float[] x = java.util.Arrays.copyOfRange(all, from * size, (from + n) * size);
    if (background) {
      SplittableRandom rng = new SplittableRandom(from * 31L + n);
      for (int i = 0; i < x.length; i++) {
        x[i] = Math.max(x[i], (float) (0.5 * rng.nextDouble()) + Float.MIN_NORMAL);
      }
    }
    return x;
  }

  /** Colour images (3 channels) built from MNIST digits, so the inputs are real strokes. */
  private static float[] colourImages(int n) {
    float[] g = Mnist.test(n).features();
    float[] out = new float[n * 32 * 32 * 3];
    for (int i = 0; i < n; i++) {
      for (int h = 0; h < 28; h++) {
        for (int w = 0; w < 28; w++) {
          float v = g[i * 784 + h * 28 + w];
          for (int c = 0; c < 3; c++) {
            out[((i * 32 + h + 2) * 32 + w + 2) * 3 + c] = v * (0.5f + 0.25f * c);
          }
        }
      }
    }
    return out;
  }

  /**
   * Random batch-norm statistics and scales (small at the end of residual branches), and binary
   * gates with about a third closed: every
   * group that nothing can bypass keeps its first structure, every other residual block is dead
   * and the first block of each spec keeps only half its filters.
   */
  static ParameterSet perturbed(ArchitectureSpec spec, ParameterSet p, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    Map<String, HostTensor> m = new LinkedHashMap<>(p.asMap());
    m.replaceAll((name, t) -> {
      String kind = ParameterSet.kindOf(name);
      float[] v = t.values();
      boolean branchEnd = ParameterSet.ownerOf(name).endsWith("_conv2");
      for (int i = 0; i < v.length; i++) {
        if (branchEnd && kind.equals("gamma")) {
          // residual branches start small, as in trained ResNets (and "zero-gamma" init); with
          // unit scales 54 random blocks would grow the logits into the thousands
          v[i] = (float) (0.1 + 0.2 * rng.nextDouble());
          continue;
        }
        switch (kind) {
          case "gamma", "moving_variance" -> v[i] = (float) (0.5 + rng.nextDouble());
          case "beta", "moving_mean", "bias" -> v[i] = (float) (0.2 * (rng.nextDouble() - 0.5));
          default -> { }
        }
      }
      return new HostTensor(t.shape(), v);
    });
    int block = 0;
    for (GateGroup g : spec.gateGroups()) {
      float[] t = new float[g.size()];
      if (g.kind() == GateGroup.Kind.BLOCK) {
        t[0] = block++ % 2 == 0 ? 1f : 0f;
      } else {
        for (int i = 0; i < t.length; i++) {
          t[i] = i == 0 || rng.nextDouble() > 0.35 ? 1f : 0f;
        }
      }
      m.put(ParameterSet.key(g.name(), ParameterSet.THETA), new HostTensor(new long[] {t.length},
          t));
    }
    return new ParameterSet(m);
  }
}
