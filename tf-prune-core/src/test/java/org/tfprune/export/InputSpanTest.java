package org.tfprune.export;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tfprune.build.ParameterInitializer;
import org.tfprune.complexity.ComplexityCounter;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.KeepMask;

/**
 * A gated MLP whose kept input features have gaps: the default export reads them as one slice
 * over their span (the added features' kernel rows zeroed), computes the gated network's
 * function, and its graph counts the span's MACs; the exact export computes the same logits,
 * by a gather, or by slices when the kept features come in few runs.
 */
class InputSpanTest {
  private static final ArchitectureSpec SPEC = ArchitectureSpec.of("mlp-20",
      InputSpec.flat(784, true), DenseLayer.gatedRelu("dense0", 20),
      DenseLayer.logits("output", 10));
  private static final int FIRST = 100;
  private static final int LAST = 599;
  private static final int COUNT = 64;

  /** Input features kept: every third in [FIRST, LAST] (and both ends); all units kept. */
  private static ParameterSet params() {
    Map<String, HostTensor> p = new LinkedHashMap<>(
        ParameterInitializer.initialize(SPEC, 5, 1f).asMap());
    float[] theta = new float[784];
    for (int i = FIRST; i <= LAST; i++) {
      theta[i] = (i - FIRST) % 3 == 0 || i == LAST ? 1f : 0f;
    }
    p.put(ParameterSet.key(InputSpec.GATE_GROUP, ParameterSet.THETA),
        new HostTensor(new long[] {784}, theta));
    return new ParameterSet(p);
  }

  /** Inputs with every feature non-zero, so a dropped feature that leaked would show. */
  private static float[] inputs(long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] x = new float[COUNT * 784];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (0.1 + rng.nextDouble());
    }
    return x;
  }

  @Test
  void keptFeaturesWithGapsAreReadAsOneSliceOverTheirSpanAndCountedAsComputed(
      @TempDir Path dir) {
    ParameterSet params = params();
    KeepMask keep = KeepMask.fromTheta(params.thetas());
    int kept = keep.count(InputSpec.GATE_GROUP);
    int span = LAST - FIRST + 1;
    assertThat(kept).isLessThan(span);
    float[] other = inputs(2);
    HostTensor gated = CompactExporter.gatedLogits(SPEC, params, other, COUNT);
    try (CompactExporter.VerifiedModel m = CompactExporter.compact(SPEC, params, keep,
        inputs(1), COUNT)) {
      assertThat(m.model().spec().input().readFeatures())
          .containsExactly(IntStream.rangeClosed(FIRST, LAST).toArray());
      assertThat(m.model().graphDef().getNodeList()).anyMatch(n -> n.getOp().equals("Slice"))
          .noneMatch(n -> n.getOp().equals("GatherV2") || n.getOp().equals("Transpose"));
      // what the graph computes: the span times the hidden width, then the logits
      long macs = (long) span * 20 + 20 * 10;
      assertThat(SavedModelInspector.of(m.model().graphDef()).complexity().macs())
          .isEqualTo(macs);
      m.model().save(dir.resolve("model"), false, Map.of());
      assertThat(SavedModelInspector.open(dir.resolve("model")).complexity())
          .isEqualTo(ComplexityCounter.count(m.model().spec()));
      assertThat(ComplexityCounter.count(m.model().spec()).macs()).isEqualTo(macs);
      // on a batch the exporter never saw, within the exporter's own bound per logit
      assertWithinBound(m.model().predict(other, COUNT), gated, params, other);
    }
    try (CompactExporter.VerifiedModel g = CompactExporter.compact(SPEC, params, keep,
        inputs(1), COUNT, ServingSignature.DEFAULT, new ExportSettings(1, true, false))) {
      assertThat(g.model().spec().input().width()).isEqualTo(kept);
      assertThat(g.model().graphDef().getNodeList()).anyMatch(n -> n.getOp().equals("GatherV2"));
      assertThat(SavedModelInspector.of(g.model().graphDef()).complexity().macs())
          .isEqualTo((long) kept * 20 + 20 * 10);
      assertWithinBound(g.model().predict(other, COUNT), gated, params, other);
    }
  }

  @Test
  void keptFeaturesInFewRunsAreReadBySlicesWithoutAGatherAndCountedExactly(@TempDir Path dir) {
    Map<String, HostTensor> p = new LinkedHashMap<>(params().asMap());
    float[] theta = new float[784];
    int[][] runs = {{100, 149}, {300, 339}, {405, 405}, {600, 650}};
    for (int[] r : runs) {
      java.util.Arrays.fill(theta, r[0], r[1] + 1, 1f);
    }
    p.put(ParameterSet.key(InputSpec.GATE_GROUP, ParameterSet.THETA),
        new HostTensor(new long[] {784}, theta));
    ParameterSet params = new ParameterSet(p);
    KeepMask keep = KeepMask.fromTheta(params.thetas());
    int kept = keep.count(InputSpec.GATE_GROUP);
    assertThat(kept).isEqualTo(50 + 40 + 1 + 51);
    float[] other = inputs(2);
    HostTensor gated = CompactExporter.gatedLogits(SPEC, params, other, COUNT);
    // the exact selection (no span), as with --no-input-span or a MACs budget
    try (CompactExporter.VerifiedModel g = CompactExporter.compact(SPEC, params, keep,
        inputs(1), COUNT, ServingSignature.DEFAULT, new ExportSettings(1, true, false))) {
      assertThat(g.model().spec().input().width()).isEqualTo(kept);
      assertThat(g.model().graphDef().getNodeList().stream()
          .filter(n -> n.getOp().equals("Slice") && n.getInput(0).equals("input")).count())
          .isEqualTo(runs.length); // one per run of the input's features
      assertThat(g.model().graphDef().getNodeList()).anyMatch(n -> n.getOp().equals("ConcatV2"))
          .noneMatch(n -> n.getOp().equals("GatherV2") || n.getOp().equals("Transpose"));
      long macs = (long) kept * 20 + 20 * 10;
      assertThat(SavedModelInspector.of(g.model().graphDef()).complexity().macs())
          .isEqualTo(macs);
      g.model().save(dir.resolve("model"), false, Map.of());
      assertThat(SavedModelInspector.open(dir.resolve("model")).complexity())
          .isEqualTo(ComplexityCounter.count(g.model().spec()));
      assertWithinBound(g.model().predict(other, COUNT), gated, params, other);
    }
  }

  @Test
  void aSpanWiderThanItsLimitKeepsTheGather() {
    ParameterSet params = params();
    Map<String, boolean[]> flags = new LinkedHashMap<>();
    KeepMask keep = KeepMask.fromTheta(params.thetas());
    for (String g : keep.groups()) {
      flags.put(g, keep.flags(g));
    }
    boolean[] in = new boolean[784];
    in[0] = true;
    in[783] = true; // 2 features over a span of 784
    flags.put(InputSpec.GATE_GROUP, in);
    WidthRounding.Rounded r = InputSpan.widen(SPEC, params, KeepMask.of(flags));
    assertThat(r.keep().count(InputSpec.GATE_GROUP)).isEqualTo(2);
    assertThat(r.parameters()).isSameAs(params);
  }

  private static void assertWithinBound(HostTensor served, HostTensor gated, ParameterSet params,
      float[] x) {
    HostTensor bound = RoundingBound.perLogit(SPEC, params, x, COUNT, gated,
        RoundingBound.roundings(SPEC, false), RoundingBound.roundings(SPEC, false));
    assertThat(CompactExporter.compare(served, gated, bound).fractionOfBound())
        .isLessThanOrEqualTo(1.0);
  }
}
