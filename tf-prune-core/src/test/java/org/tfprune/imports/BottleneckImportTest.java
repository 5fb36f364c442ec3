package org.tfprune.imports;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tfprune.complexity.ComplexityCounter;
import org.tfprune.export.CompactExporter;
import org.tfprune.export.SavedModelInspector;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.Activation;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.GateGroup;
import org.tfprune.spec.KeepMask;
import org.tfprune.spec.LayerSpec;
import org.tfprune.spec.ResidualBlock;
import org.tfprune.testing.HandGates;
import org.tfprune.testing.LayerKindModels;
import org.tfprune.testing.LayerKindModels.Kind;
import org.tfprune.testing.Mnist;

/**
 * ResNet's bottleneck blocks (1x1 -> 3x3 -> 1x1) as Keras's ResNet50 and ResNet50V2 write them:
 * the import is exact, the middle conv's filters are a gate group of their own, and closing
 * first and middle filters exports what the gated network computes, with the counts of its
 * graph.
 */
class BottleneckImportTest {
  private static ImportedModel load(Kind kind) {
    SplittableRandom rng = new SplittableRandom(11);
    float[] x = new float[400 * 784];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (rng.nextDouble() * 2 - 0.5);
    }
    return ModelImporter.load(LayerKindModels.model(kind), ImportOptions.DEFAULT, x, 400);
  }

  @ParameterizedTest
  @EnumSource(value = Kind.class, names = {"BOTTLENECK_V1", "BOTTLENECK_V2"})
  void everyGateOpenReproducesTheOriginalOnRandomInputs(Kind kind) {
    ImportedModel m = load(kind);
    assertThat(m.check().examples()).isEqualTo(400);
    assertThat(m.check().maxAbsDiff()).isLessThanOrEqualTo(ModelImporter.TOLERANCE);
  }

  @Test
  void resNet50sBlocksBecomeBottlenecksWhoseFirstAndMiddleFiltersAreGatedOnTheirOwn() {
    ArchitectureSpec spec = load(Kind.BOTTLENECK_V1).spec();
    assertThat(spec.layers()).extracting(LayerSpec::name).containsExactly("stem", "pool",
        "conv2_block1", "conv2_block2", "gap", "logits_MatMul");
    ResidualBlock projection = (ResidualBlock) spec.layer("conv2_block1");
    assertThat(projection.form()).isEqualTo("bottleneck");
    assertThat(projection.conv1().kernelSize()).isEqualTo(1);
    assertThat(projection.conv1().stride()).as("Keras's ResNet50: the stride on the 1x1")
        .isEqualTo(2);
    assertThat(projection.middle().kernelSize()).isEqualTo(3);
    assertThat(projection.middle().activation()).isEqualTo(Activation.RELU);
    assertThat(projection.conv2().kernelSize()).isEqualTo(1);
    assertThat(projection.shortcut().stride()).isEqualTo(2);
    assertThat(projection.shortcutStride()).isEqualTo(1);
    assertThat(projection.activation()).isEqualTo(Activation.RELU);
    ResidualBlock identity = (ResidualBlock) spec.layer("conv2_block2");
    assertThat(identity.shortcut()).isNull();
    assertThat(identity.middle().filters()).isEqualTo(6);
    assertThat(identity.gated()).as("relu(x + 0) = x after a ReLU block: the block can go")
        .isTrue();
    assertThat(spec.gateGroups()).extracting(GateGroup::name).containsExactly("stem",
        "conv2_block1_1", "conv2_block1_2", "conv2_block1", "conv2_block2_1", "conv2_block2_2",
        "conv2_block2");
    assertThat(spec.widthString()).isEqualTo("784-8-6-6-6-6-10");
  }

  @Test
  void resNet50V2sLastBlockOfAStageSubsamplesItsIdentityShortcut() {
    ArchitectureSpec spec = load(Kind.BOTTLENECK_V2).spec();
    assertThat(spec.layers()).extracting(LayerSpec::name).containsExactly("stem", "pool",
        "conv2_block1", "conv2_block2", "post_bn", "gap", "logits_MatMul");
    ResidualBlock projection = (ResidualBlock) spec.layer("conv2_block1");
    assertThat(projection.preActivation()).isNotNull();
    assertThat(projection.shortcut().stride()).isEqualTo(1);
    assertThat(projection.middle()).isNotNull();
    assertThat(projection.gated()).as("the projection reads relu(bn(x))").isFalse();
    ResidualBlock last = (ResidualBlock) spec.layer("conv2_block2");
    assertThat(last.shortcut()).isNull();
    assertThat(last.shortcutStride()).isEqualTo(2);
    assertThat(last.middle().stride()).isEqualTo(2);
    assertThat(last.middle().padding()).isEqualTo(org.tfprune.spec.Padding.VALID);
    assertThat(last.middlePad()).as("Keras's ZeroPadding2D before the 3x3 conv").isEqualTo(1);
    assertThat(projection.middlePad()).isEqualTo(1);
    assertThat(last.preActivation()).isNotNull();
    assertThat(last.activation()).isEqualTo(Activation.IDENTITY);
    assertThat(last.gated()).as("without its branch the block would still subsample").isFalse();
    assertThat(spec.shapes().get(4).height()).isEqualTo(7);
    // relu(bn(0)) is not 0: the stem's removed filters would change what the block reads
    assertThat(spec.layer("stem").gated()).as("the stem feeds a pre-activation").isFalse();
    assertThat(spec.gateGroups()).extracting(GateGroup::name).containsExactly(
        "conv2_block1_1", "conv2_block1_2", "conv2_block2_1", "conv2_block2_2");
  }

  /**
   * Half the first and half the middle filters of every block close: the compact export equals
   * the gated network within the exporter's bound, the middle convs lose their filters, the
   * exported graph's counts are the counter's, and the identity block's MACs are those of its
   * three convs with the pruned channels left out.
   */
  @ParameterizedTest
  @EnumSource(value = Kind.class, names = {"BOTTLENECK_V1", "BOTTLENECK_V2"})
  void closedFirstAndMiddleFiltersExportExactly(Kind kind) {
    ImportedModel m = load(kind);
    HandGates gates = HandGates.of(m.spec(), m.parameters(), (g, i) -> {
      boolean inner = g.name().endsWith("_1") || g.name().endsWith("_2");
      return !inner || i % 2 == (g.name().endsWith("_2") ? 0 : 1);
    });
    ParameterSet params = gates.parameters();
    KeepMask keep = gates.keep();
    float[] x = Mnist.test(200).features(200);
    try (CompactExporter.VerifiedModel v = CompactExporter.compact(m.spec(), params, keep, x,
        200, m.signature())) {
      assertThat(v.fractionOfBound()).isLessThanOrEqualTo(1);
      ArchitectureSpec compact = v.model().spec();
      for (String block : new String[] {"conv2_block1", "conv2_block2"}) {
        ResidualBlock b = (ResidualBlock) compact.layer(block);
        assertThat(b.innerWidth()).as(block).isEqualTo(3);
        assertThat(b.middle().filters()).as(block).isEqualTo(3);
        assertThat(b.conv2InputWidth()).isEqualTo(3);
      }
      assertThat(SavedModelInspector.of(v.model().graphDef()).complexity())
          .isEqualTo(ComplexityCounter.count(compact));
      // the gated spec's cost under the mask (the prior's) counts what the compact graph runs
      assertThat(ComplexityCounter.count(m.spec(), keep).macs())
          .isEqualTo(ComplexityCounter.count(compact).macs());
      assertThat(ComplexityCounter.count(m.spec(), keep)).isEqualTo(ComplexityCounter.count(
          m.spec().compact(keep)));
      if (kind == Kind.BOTTLENECK_V1) { // 7x7 positions: 1x1 16 -> 3, 3x3 3 -> 3, 1x1 3 -> 16
        assertThat(ComplexityCounter.perLayer(compact).get("conv2_block2").macs())
            .isEqualTo(49L * (16 * 3 + 9 * 3 * 3 + 3 * 16));
        assertThat(ComplexityCounter.perLayer(m.spec().withoutGates()).get("conv2_block2")
            .macs()).isEqualTo(49L * (16 * 6 + 9 * 6 * 6 + 6 * 16));
      }
    }
  }

  @Test
  void theSpecRefusesAMiddleConvOrASubsampledShortcutItCannotPrune() {
    ResidualBlock b = (ResidualBlock) load(Kind.BOTTLENECK_V2).spec().layer("conv2_block2");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ResidualBlock(b.name(),
        b.conv1(), b.conv2(), null, true, b.activation(), b.preActivation(), null, b.middle(), 2))
        .hasMessageContaining("subsampled identity shortcut");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ResidualBlock(b.name(),
        b.conv1(), b.conv2(), null, false, b.activation(), b.preActivation(), null,
        b.middle().withGated(false), 2)).hasMessageContaining("gated exactly when conv1 is");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ResidualBlock(b.name(),
        b.conv1(), b.conv2(), null, false, b.activation(), b.preActivation(), null, b.middle(),
        1).outputShape(new org.tfprune.spec.FeatureMap(14, 14, 16)))
        .hasMessageContaining("identity shortcut but maps");
  }

  /** Coupled stream channels: the stage's projection and identity bottlenecks share one gate. */
  @Test
  void resNet50sBottleneckStageCouplesItsStreamAndStillExportsExactly() {
    float[] x = Mnist.test(400).features(400);
    ImportedModel m = ModelImporter.load(LayerKindModels.model(Kind.BOTTLENECK_V1),
        ImportOptions.DEFAULT.withCoupledStreamChannels(true), x, 400);
    assertThat(m.check().maxAbsDiff()).isLessThanOrEqualTo(ModelImporter.TOLERANCE);
    assertThat(m.spec().streams()).extracting(g -> java.util.List.copyOf(g.members()))
        .contains(java.util.List.of("conv2_block1", "conv2_block2"));
    HandGates gates = HandGates.of(m.spec(), m.parameters(),
        (g, i) -> g.size() == 1 || i % 3 != 0);
    ParameterSet params = gates.parameters();
    try (CompactExporter.VerifiedModel v = CompactExporter.compact(m.spec(), params,
        gates.keep(), Mnist.test(200).features(200), 200, m.signature())) {
      assertThat(v.fractionOfBound()).isLessThanOrEqualTo(1);
      ResidualBlock b = (ResidualBlock) v.model().spec().layer("conv2_block2");
      assertThat(b.width()).isEqualTo(16 - 6);
      assertThat(b.middle().filters()).isEqualTo(4);
      assertThat(SavedModelInspector.of(v.model().graphDef()).complexity())
          .isEqualTo(ComplexityCounter.count(v.model().spec()));
    }
  }

  /**
   * Width rounding adds closed middle and first filters back with the weights they own zeroed
   * (their ownership): the rounded export still equals the gated network.
   */
  @Test
  void roundedWidthsZeroTheMiddleFiltersTheyAddBack() {
    ImportedModel m = load(Kind.BOTTLENECK_V2);
    HandGates gates = HandGates.of(m.spec(), m.parameters(), (g, i) -> i < 3);
    ParameterSet params = gates.parameters();
    org.tfprune.export.WidthRounding.Rounded r = org.tfprune.export.WidthRounding.roundUp(
        m.spec(), params, gates.keep(), 4);
    try (CompactExporter.VerifiedModel v = CompactExporter.compact(m.spec(), r.parameters(),
        r.keep(), Mnist.test(200).features(200), 200, m.signature())) {
      assertThat(v.fractionOfBound()).isLessThanOrEqualTo(1);
      ResidualBlock b = (ResidualBlock) v.model().spec().layer("conv2_block2");
      assertThat(b.innerWidth()).isEqualTo(4);
      assertThat(b.middle().filters()).isEqualTo(4);
    }
  }
}
