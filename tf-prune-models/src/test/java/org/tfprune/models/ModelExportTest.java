package org.tfprune.models;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tfprune.build.ParameterInitializer;
import org.tfprune.complexity.ComplexityCounter;
import org.tfprune.export.CompactExporter;
import org.tfprune.export.ExportSettings;
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
 * the exported compact model equals the gated network in deterministic mode (within 1e-5 on
 * real MNIST images) and its complexity read back from the exported graph equals the host count.
 */
class ModelExportTest {
  static Stream<Arguments> models() {
    return Stream.of(
        Arguments.of(LeNet300100.create(784, 10, 0.25, true), false),
        Arguments.of(LeNet5.create(28, 28, 1, 10, 0.5), false),
        Arguments.of(Vgg16.create(28, 28, 1, 10, 0.125), false),
        Arguments.of(ResNet.create(20, 28, 28, 1, 10, 0.5), false),
        Arguments.of(ResNet.create(32, 28, 28, 1, 10, 0.25), false),
        Arguments.of(ResNet.create(56, 28, 28, 1, 10, 0.25), false),
        Arguments.of(ResNet.create(110, 28, 28, 1, 10, 0.25), false),
        Arguments.of(ResNet.create(20, 32, 32, 3, 10, 0.25), true),
        Arguments.of(Vgg16.create(32, 32, 3, 10, 0.125), true),
        Arguments.of(LeNet5.create(32, 32, 3, 10, 0.5), true));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void compactModelEqualsGatedNetworkAndItsGraphCountsMatch(ArchitectureSpec spec,
      boolean colour, @TempDir Path dir) {
    int count = 64;
    float[] x = colour ? colourImages(count) : Mnist.test(count).features();
    ParameterSet params = perturbed(spec, ParameterInitializer.initialize(spec, 3, 1f), 11);
    KeepMask keep = KeepMask.fromTheta(params.thetas());
    ArchitectureSpec compact = spec.compact(keep);
    assertThat(keep.removed()).isPositive();
    try (CompactExporter.VerifiedModel m = CompactExporter.compact(spec, params, keep, x, count,
        CompactExporter.DEFAULT_TOLERANCE)) {
      assertThat(m.maxAbsDiff()).isLessThanOrEqualTo(1e-5);
      m.model().save(dir.resolve("model"), false, Map.of());
    }
    SavedModelInspector saved = SavedModelInspector.open(dir.resolve("model"));
    assertThat(saved.complexity()).isEqualTo(ComplexityCounter.count(compact));
    assertThat(saved.placedNodes()).isZero();
    assertThat(ComplexityCounter.count(compact).macs())
        .isLessThan(ComplexityCounter.count(spec).macs());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void widthsRoundedUpToAMultipleStayExact(ArchitectureSpec spec, boolean colour) {
    int count = 32;
    float[] x = colour ? colourImages(count) : Mnist.test(count).features();
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
    try (CompactExporter.VerifiedModel m = CompactExporter.compact(spec, r.parameters(),
        r.keep(), x, count, CompactExporter.DEFAULT_TOLERANCE)) {
      assertThat(m.maxAbsDiff()).isLessThanOrEqualTo(1e-5);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void batchNormFoldedIntoConvolutionsStaysWithinItsTolerance(ArchitectureSpec spec,
      boolean colour, @TempDir Path dir) {
    int count = 32;
    float[] x = colour ? colourImages(count) : Mnist.test(count).features();
    ParameterSet params = perturbed(spec, ParameterInitializer.initialize(spec, 3, 1f), 11);
    KeepMask keep = KeepMask.fromTheta(params.thetas());
    try (CompactExporter.VerifiedModel m = CompactExporter.compact(spec, params, keep, x, count,
        CompactExporter.DEFAULT_TOLERANCE, ServingSignature.DEFAULT,
        new ExportSettings(1, true))) {
      assertThat(m.maxAbsDiff()).isLessThanOrEqualTo(ExportSettings.FOLDED_TOLERANCE);
      assertThat(m.model().graphDef().getNodeList()).noneMatch(
          n -> n.getOp().startsWith("FusedBatchNorm"));
      m.model().save(dir.resolve("model"), false, Map.of());
      assertThat(SavedModelInspector.open(dir.resolve("model")).complexity())
          .isEqualTo(ComplexityCounter.count(m.model().spec()));
    }
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
