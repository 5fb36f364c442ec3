package org.tfprune.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tfprune.build.ParameterInitializer;
import org.tfprune.complexity.ComplexityCounter;
import org.tfprune.export.CompactExporter;
import org.tfprune.export.ExportSettings;
import org.tfprune.export.SavedModelInspector;
import org.tfprune.export.ServingSignature;
import org.tfprune.export.WidthRounding;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.GateGroup;
import org.tfprune.spec.KeepMask;
import org.tfprune.spec.StreamGroup;

/**
 * The reference ResNets with coupled stream channels: one stream group per stage, and with
 * stream channels, inner filters and every other block switched off, an exact export (also with
 * widths rounded and batch norm folded) on images the exporter did not check, whose graph counts
 * match.
 */
class CoupledResNetTest {
  @Test
  void everyResNetDepthCouplesOneStreamGroupPerStage() {
    for (int depth : new int[] {20, 32, 56, 110}) {
      int n = (depth - 2) / 6;
      ArchitectureSpec spec = ResNet.create(depth, 32, 32, 3, 10, 1.0, true);
      assertThat(spec.streams()).extracting(StreamGroup::name)
          .containsExactly("stream1", "stream2", "stream3");
      assertThat(spec.streams().get(0).members()).hasSize(n + 1).startsWith("stem");
      assertThat(spec.streams().get(1).members()).hasSize(n).startsWith("s2b0");
      assertThat(spec.streamWidths()).containsExactly(Map.entry("stream1", 16),
          Map.entry("stream2", 32), Map.entry("stream3", 64));
      assertThat(spec.gateGroups().stream().filter(g -> g.name().startsWith("stream")))
          .allMatch(g -> g.kind() == GateGroup.Kind.UNIT && !g.bypassable());
      // the option changes nothing but the stream groups
      assertThat(spec.layers()).isEqualTo(ResNet.create(depth, 32, 32, 3, 10, 1.0).layers());
      assertThat(Models.create("resnet-" + depth, new int[] {32, 32, 3}, 10, 1.0, true))
          .isEqualTo(spec);
    }
    assertThat(Models.create("resnet-20", new int[] {28, 28, 1}, 10, 1.0).streams()).isEmpty();
    assertThatThrownBy(() -> Models.create("vgg-16", new int[] {32, 32, 3}, 10, 0.25, true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("model vgg-16 has no residual stages")
        .hasMessageContaining("--couple-stream-channels");
  }

  @Test
  void compactResNet20EqualsGatedNetworkRoundedAndFoldedToo(@TempDir Path dir) {
    ArchitectureSpec spec = ResNet.create(20, 28, 28, 1, 10, 0.5, true);
    int count = 32;
    float[] x = ModelExportTest.images(false, 0, count, false);
    // the exporter checks x; the models are held to the gated network on another batch, with
    // no zero pixel, within the exporter's own bounds
    float[] other = ModelExportTest.images(false, count, count, true);
    ParameterSet params = ModelExportTest.perturbed(spec,
        ParameterInitializer.initialize(spec, 3, 1f), 11);
    for (String g : spec.streamWidths().keySet()) { // and channel 3 of every stream for sure
      float[] t = params.get(g + "/theta").values();
      t[3] = 0f;
      params = params.with(g + "/theta", new HostTensor(new long[] {t.length}, t));
    }
    KeepMask keep = KeepMask.fromTheta(params.thetas());
    ArchitectureSpec compact = spec.compact(keep);
    for (String g : spec.streamWidths().keySet()) {
      assertThat(compact.streamWidths().get(g)).as(g).isLessThan(spec.streamWidths().get(g));
    }
    HostTensor gated = CompactExporter.gatedLogits(spec, params, other, count);
    ArchitectureSpec exported;
    try (CompactExporter.VerifiedModel m = CompactExporter.compact(spec, params, keep, x, count,
        CompactExporter.DEFAULT_TOLERANCE)) {
      exported = m.model().spec();
      m.model().save(dir.resolve("model"), false, Map.of());
    }
    double diff = ModelExportTest.served(dir.resolve("model"), other, count, spec)
        .maxAbsDiff(gated);
    System.out.printf("resnet-20 coupled: streams %s -> %s, max |reloaded - gated| %.3g%n",
        spec.streamWidths(), compact.streamWidths(), diff);
    assertThat(diff).isLessThanOrEqualTo(ExportSettings.DEFAULT.tolerance());
    // batch norm is folded by default: the graph counts the folded spec, with the same MACs
    assertThat(SavedModelInspector.open(dir.resolve("model")).complexity())
        .isEqualTo(ComplexityCounter.count(exported));
    assertThat(ComplexityCounter.count(exported).macs())
        .isEqualTo(ComplexityCounter.count(compact).macs());
    WidthRounding.Rounded r = WidthRounding.roundUp(spec, params, keep, 4);
    try (CompactExporter.VerifiedModel m = CompactExporter.compact(spec, r.parameters(),
        r.keep(), x, count, CompactExporter.DEFAULT_TOLERANCE)) {
      assertThat(m.model().spec().streamWidths().values()).allMatch(w -> w % 4 == 0);
      // rounding keeps the function of the weights as trained
      assertThat(m.model().predict(other, count).maxAbsDiff(gated))
          .isLessThanOrEqualTo(ExportSettings.DEFAULT.tolerance());
    }
    ExportSettings folded = new ExportSettings(1, true);
    try (CompactExporter.VerifiedModel m = CompactExporter.compact(spec, params, keep, x, count,
        CompactExporter.DEFAULT_TOLERANCE, ServingSignature.DEFAULT, folded)) {
      double foldedDiff = m.model().predict(other, count).maxAbsDiff(gated);
      System.out.printf("resnet-20 coupled, folded: max diff %.3g on another batch%n",
          foldedDiff);
      assertThat(foldedDiff).isLessThanOrEqualTo(folded.tolerance());
      assertThat(SavedModelInspector.of(m.model().graphDef()).complexity())
          .isEqualTo(ComplexityCounter.count(m.model().spec()));
    }
  }
}
