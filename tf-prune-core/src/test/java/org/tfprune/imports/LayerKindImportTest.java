package org.tfprune.imports;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.tfprune.complexity.ComplexityCounter;
import org.tfprune.export.CompactExporter;
import org.tfprune.export.SavedModelInspector;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.Activation;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.Conv2DLayer;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.GateGroup;
import org.tfprune.testing.HandGates;
import org.tfprune.spec.GlobalAvgPoolLayer;
import org.tfprune.spec.KeepMask;
import org.tfprune.spec.LayerSpec;
import org.tfprune.spec.PadLayer;
import org.tfprune.spec.Padding;
import org.tfprune.spec.PoolLayer;
import org.tfprune.spec.ResidualBlock;
import org.tfprune.testing.ArrayData;
import org.tfprune.testing.LayerKindModels;
import org.tfprune.testing.LayerKindModels.Kind;
import org.tfprune.testing.Mnist;

/**
 * Imports the layer kinds of {@link LayerKindModels}: with every gate open each reproduces its
 * original on real MNIST images, and with gates closed the compact export computes what the gated
 * network does, with the counts of its graph.
 */
class LayerKindImportTest {
  private static final int COUNT = 1000;

  private static ImportedModel load(Kind kind) {
    ArrayData test = Mnist.test(COUNT);
    return ModelImporter.load(LayerKindModels.model(kind), ImportOptions.DEFAULT,
        test.features(COUNT), COUNT);
  }

  /** The blocks of real image models on random inputs, spread beyond MNIST's pixel range. */
  @ParameterizedTest
  @EnumSource(value = Kind.class, names = {"INVERTED_RESIDUAL", "PREACT_FINAL_NORM",
      "DENSE_BATCH_NORM"})
  void everyGateOpenReproducesTheOriginalOnRandomInputs(Kind kind) {
    java.util.SplittableRandom rng = new java.util.SplittableRandom(7);
    float[] x = new float[500 * 784];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (rng.nextDouble() * 2 - 0.5);
    }
    ImportedModel m = ModelImporter.load(LayerKindModels.model(kind), ImportOptions.DEFAULT, x,
        500);
    assertThat(m.check().examples()).isEqualTo(500);
    assertThat(m.check().maxAbsDiff()).isLessThanOrEqualTo(ModelImporter.TOLERANCE);
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void everyGateOpenReproducesTheOriginalOnRealMnist(Kind kind) {
    ImportedModel m = load(kind);
    assertThat(m.check().examples()).isEqualTo(COUNT);
    assertThat(m.check().maxAbsDiff()).isLessThanOrEqualTo(ModelImporter.TOLERANCE);
    assertThat(m.spec().gateGroups()).isNotEmpty();
  }

  /**
   * Every gate group loses every third structure (and every other block gate closes); the compact
   * export must equal the gated network in deterministic mode within the exporter's rounding
   * bound (the exporter refuses otherwise), every group must have lost its structures, and the
   * counts of the exported graph must equal the complexity counter's.
   */
  @ParameterizedTest
  @EnumSource(Kind.class)
  void closedGatesRemoveTheirStructuresExactlyAndTheGraphCountsMatch(Kind kind) {
    closeEveryThirdAndExport(load(kind));
  }

  private static void closeEveryThirdAndExport(ImportedModel m) {
    // every other single-structure group (a block) stays; every third structure of the rest goes
    List<String> blocks = m.spec().gateGroups().stream().filter(g -> g.size() == 1)
        .map(GateGroup::name).toList();
    HandGates gates = HandGates.of(m.spec(), m.parameters(),
        (g, i) -> g.size() == 1 ? blocks.indexOf(g.name()) % 2 == 0 : i % 3 != 0);
    ParameterSet params = gates.parameters();
    KeepMask keep = gates.keep();
    float[] x = Mnist.test(200).features(200);
    try (CompactExporter.VerifiedModel v = CompactExporter.compact(m.spec(), params, keep, x,
        200, m.signature())) {
      assertThat(v.fractionOfBound()).isLessThanOrEqualTo(1);
      ArchitectureSpec compact = v.model().spec();
      for (GateGroup g : m.spec().gateGroups()) {
        if (g.size() > 1 && compact.layers().stream().anyMatch(l -> l.name().equals(g.name()))) {
          assertThat(compact.layer(g.name()).width()).as(g.name())
              .isEqualTo(g.size() - (g.size() + 2) / 3);
        }
      }
      assertThat(SavedModelInspector.of(v.model().graphDef()).complexity())
          .isEqualTo(ComplexityCounter.count(compact));
      assertThat(ComplexityCounter.count(compact).macs())
          .isLessThan(ComplexityCounter.count(m.spec().withoutGates()).macs());
    }
  }

  @Test
  void batchNormAfterTheReluIsPartOfTheConvAndTheGateSitsAfterIt() {
    ArchitectureSpec spec = load(Kind.BN_AFTER_RELU).spec();
    assertThat(spec.layers()).extracting(LayerSpec::name).containsExactly("conv2d",
        "max_pooling2d", "conv2d_1", "flatten", "dense", "dense_1");
    Conv2DLayer c = (Conv2DLayer) spec.layers().get(0);
    assertThat(c.batchNormAfterActivation()).isTrue();
    assertThat(c.batchNorm()).isFalse();
    assertThat(c.activation()).isEqualTo(Activation.RELU);
    assertThat(c.gated()).isTrue();
    assertThat(c.padding()).isEqualTo(Padding.VALID);
    assertThat(spec.layers().get(4)).isEqualTo(DenseLayer.gatedRelu("dense", 32));
  }

  @Test
  void aConvWithoutBiasGetsAZeroBiasAndABiasBeforeBatchNormFoldsIntoTheMean() {
    ImportedModel m = load(Kind.BIAS_FORMS);
    assertThat(m.parameters().get("conv_nobias/bias").values()).containsOnly(0f);
    Conv2DLayer bn = (Conv2DLayer) m.spec().layer("conv_add_bn1");
    assertThat(bn.batchNorm()).isTrue();
    assertThat(bn.batchNormAfterActivation()).isFalse();
    assertThat(m.notes()).anyMatch(n -> n.contains("conv_add_bn1/bias")
        && n.contains("folded into the moving mean"));
    assertThat(m.spec().layer("conv_addv2")).isInstanceOf(Conv2DLayer.class);
  }

  @Test
  void residualAddsWithAndWithoutAnActivationBecomeBlocksWithThatActivation() {
    ArchitectureSpec spec = load(Kind.LINEAR_RESIDUAL).spec();
    ResidualBlock b1 = (ResidualBlock) spec.layer("block1");
    ResidualBlock b2 = (ResidualBlock) spec.layer("block2");
    ResidualBlock b3 = (ResidualBlock) spec.layer("block3");
    assertThat(List.of(b1.activation(), b2.activation(), b3.activation()))
        .containsExactly(Activation.IDENTITY, Activation.RELU, Activation.RELU);
    assertThat(b1.shortcut()).isNull();
    assertThat(b2.shortcut().stride()).isEqualTo(2);
    assertThat(b2.shortcut().kernelSize()).isEqualTo(1);
    // each block's closed gate leaves its shortcut exactly: an identity without activation, a
    // projection, and a ReLU identity block whose input (block2's ReLU) is never negative
    assertThat(List.of(b1.gated(), b2.gated(), b3.gated())).containsOnly(true);
    assertThat(spec.layer("stem").gated()).as("the stem feeds an identity shortcut").isFalse();
    assertThat(spec.layers().get(spec.layers().size() - 2))
        .isInstanceOf(GlobalAvgPoolLayer.class);
  }

  @Test
  void relu6SigmoidTanhAndLeakyReluWithItsSlopeAreTheLayersActivations() {
    ArchitectureSpec spec = load(Kind.ACTIVATIONS).spec();
    assertThat(List.of(spec.layer("conv_relu6"), spec.layer("conv_sigmoid"),
        spec.layer("conv_tanh"))).extracting(l -> ((Conv2DLayer) l).activation())
        .containsExactly(Activation.RELU6, Activation.SIGMOID, Activation.TANH);
    assertThat(((Conv2DLayer) spec.layer("conv_tanh")).batchNormAfterActivation()).isTrue();
    assertThat(((DenseLayer) spec.layer("dense_leaky")).activation())
        .isEqualTo(Activation.leakyRelu(0.3f));
  }

  @Test
  void aDepthwiseConvKeepsExactlyTheChannelsItsProducerKeeps() {
    ImportedModel m = load(Kind.DEPTHWISE);
    ArchitectureSpec spec = m.spec();
    Conv2DLayer dw = (Conv2DLayer) spec.layer("depthwise");
    assertThat(dw.depthwise()).isTrue();
    assertThat(dw.gated()).isFalse();
    assertThat(dw.filters()).isEqualTo(8);
    assertThat(spec.channelGroupOf(1)).isEqualTo("expand");
    assertThat(spec.gateGroups()).extracting(GateGroup::name).containsExactly("expand",
        "project");
    boolean[] expand = {true, false, false, true, true, false, true, true};
    boolean[] project = new boolean[16];
    java.util.Arrays.fill(project, true);
    KeepMask keep = KeepMask.of(Map.of("expand", expand, "project", project));
    ParameterSet params = m.parameters().with("expand/theta", new HostTensor(new long[] {8},
        new float[] {1, 0, 0, 1, 1, 0, 1, 1}));
    float[] x = Mnist.test(200).features(200);
    try (CompactExporter.VerifiedModel v = CompactExporter.compact(spec, params, keep, x, 200,
        m.signature())) {
      Conv2DLayer compactDw = (Conv2DLayer) v.model().spec().layer("depthwise");
      assertThat(compactDw.filters()).isEqualTo(5);
      assertThat(v.fractionOfBound()).isLessThanOrEqualTo(1);
      assertThat(SavedModelInspector.of(v.model().graphDef()).complexity())
          .isEqualTo(ComplexityCounter.count(v.model().spec()));
    }
  }

  @Test
  void preActivationBlocksKeepTheirInputsBatchNormAndGateOnlyWhatStaysExact() {
    ImportedModel m = load(Kind.PREACT);
    ResidualBlock identity = (ResidualBlock) m.spec().layer("preact1");
    ResidualBlock projection = (ResidualBlock) m.spec().layer("preact2");
    assertThat(identity.preActivation().activation()).isEqualTo(Activation.RELU);
    assertThat(identity.activation()).isEqualTo(Activation.IDENTITY);
    assertThat(identity.shortcut()).isNull();
    assertThat(identity.gated()).as("x + 0 = x: the block can go").isTrue();
    assertThat(projection.shortcut().stride()).isEqualTo(2);
    assertThat(projection.gated()).as("the projection reads relu(bn(x))").isFalse();
    assertThat(projection.conv1().gated()).isTrue();
    assertThat(m.parameters().get(identity.preActivation().name() + "/gamma").shape())
        .containsExactly(8);
  }

  @Test
  void padOpsBecomePaddingLayersBeforeTheirValidConvs() {
    ArchitectureSpec spec = load(Kind.PAD_AVG_POOL).spec();
    assertThat(spec.layers()).startsWith(new PadLayer("zero_padding2d", 1, 1, 1, 1));
    assertThat(spec.layer("pad2")).isEqualTo(new PadLayer("pad2", 2, 1, 0, 1));
    assertThat(spec.layer("avg1")).isEqualTo(new PoolLayer("avg1", PoolLayer.Kind.AVG, 2, 2,
        Padding.SAME));
    assertThat(spec.shapes().get(1).height()).isEqualTo(30);
  }

  @Test
  void mobileNetV2InvertedResidualsBecomeBlocksWhoseDepthwiseChannelsFollowTheExpansion() {
    ImportedModel m = load(Kind.INVERTED_RESIDUAL);
    ArchitectureSpec spec = m.spec();
    assertThat(spec.layers()).extracting(LayerSpec::name).containsExactly("stem",
        "block0_depthwise", "block0_project", "block1", "block2_expand", "block2_depthwise",
        "block2_project", "block3", "head", "gap", "logits_MatMul");
    ResidualBlock b1 = (ResidualBlock) spec.layer("block1");
    assertThat(b1.conv1().kernelSize()).isEqualTo(1);
    assertThat(b1.conv1().activation()).isEqualTo(Activation.RELU6);
    assertThat(b1.depthwise().depthwise()).isTrue();
    assertThat(b1.depthwise().filters()).isEqualTo(24);
    assertThat(b1.depthwise().activation()).isEqualTo(Activation.RELU6);
    assertThat(b1.conv2().activation()).isEqualTo(Activation.IDENTITY);
    assertThat(b1.shortcut()).isNull();
    assertThat(b1.activation()).isEqualTo(Activation.IDENTITY);
    assertThat(b1.gated()).as("x + 0 = x: the block can go").isTrue();
    assertThat(b1.conv1().gated()).isTrue();
    assertThat(((ResidualBlock) spec.layer("block3")).innerWidth()).isEqualTo(32);
    // the stride-2 block without addition is three layers; its projection feeds block3's
    // identity shortcut, so the stream stays ungated
    assertThat(spec.layer("block2_expand").gated()).isTrue();
    assertThat(((Conv2DLayer) spec.layer("block2_depthwise")).stride()).isEqualTo(2);
    assertThat(spec.layer("block2_project").gated()).isFalse();
    assertThat(spec.layer("block0_project").gated()).isFalse();
    assertThat(spec.channelGroupOf(1)).as("block0's depthwise conv follows the stem")
        .isEqualTo("stem");
    assertThat(spec.gateGroups()).extracting(GateGroup::name).containsExactly("stem",
        "block1_expand", "block1", "block2_expand", "block3_expand", "block3", "head");
    // closing expansion filters of block1 removes the depthwise channels they feed
    KeepMask keep = KeepMask.of(spec.gateGroups().stream().collect(
        java.util.stream.Collectors.toMap(GateGroup::name, g -> {
          boolean[] k = new boolean[g.size()];
          for (int i = 0; i < k.length; i++) {
            k[i] = !g.name().equals("block1_expand") || i % 2 == 0;
          }
          return k;
        })));
    ResidualBlock compact = (ResidualBlock) spec.compact(keep).layer("block1");
    assertThat(compact.innerWidth()).isEqualTo(12);
    assertThat(compact.depthwise().filters()).isEqualTo(12);
  }

  @Test
  void invertedResidualStagesCoupleTheirStreamChannelsAndStillExportExactly() {
    ArrayData test = Mnist.test(COUNT);
    ImportedModel m = ModelImporter.load(LayerKindModels.model(Kind.INVERTED_RESIDUAL),
        ImportOptions.DEFAULT.withCoupledStreamChannels(true), test.features(COUNT), COUNT);
    assertThat(m.check().maxAbsDiff()).isLessThanOrEqualTo(ModelImporter.TOLERANCE);
    assertThat(m.spec().streams()).extracting(g -> List.copyOf(g.members()))
        .containsExactly(List.of("block0_project", "block1"), List.of("block2_project",
            "block3"));
    closeEveryThirdAndExport(m);
  }

  @Test
  void resNetV2sFinalBatchNormAndReluOnTheStreamBecomeAUnitDepthwiseConv() {
    ImportedModel m = load(Kind.PREACT_FINAL_NORM);
    ArchitectureSpec spec = m.spec();
    assertThat(spec.layers()).extracting(LayerSpec::name).containsExactly("stem", "pool",
        "preact1", "preact2", "post_bn", "gap", "logits_MatMul");
    Conv2DLayer post = (Conv2DLayer) spec.layer("post_bn");
    assertThat(post.depthwise()).isTrue();
    assertThat(post.kernelSize()).isEqualTo(1);
    assertThat(post.batchNorm()).isTrue();
    assertThat(post.activation()).isEqualTo(Activation.RELU);
    assertThat(post.gated()).isFalse();
    assertThat(m.parameters().get("post_bn/kernel").values()).containsOnly(1f);
    assertThat(m.parameters().get("post_bn/gamma").shape()).containsExactly(16);
    assertThat(m.notes()).anyMatch(n -> n.contains("post_bn") && n.contains("depthwise"));
    assertThat(((ResidualBlock) spec.layer("preact2")).preActivation()).isNotNull();
  }

  @Test
  void keras2sUnfusedBatchNormFoldsIntoTheDenseLayerBeforeOrAfterIt() {
    ImportedModel m = load(Kind.DENSE_BATCH_NORM);
    ArchitectureSpec spec = m.spec();
    assertThat(spec.layers()).extracting(LayerSpec::name).containsExactly("flatten", "dense",
        "dense_1", "dense_2", "logits_MatMul");
    assertThat(spec.layer("dense")).isEqualTo(DenseLayer.gatedRelu("dense", 32));
    assertThat(spec.layer("dense_1")).isEqualTo(DenseLayer.gatedRelu("dense_1", 16));
    assertThat(spec.layer("dense_2")).isEqualTo(DenseLayer.gatedRelu("dense_2", 16));
    assertThat(m.notes()).filteredOn(n -> n.contains("(batch norm) folded")).hasSize(2);
    assertThat(m.notes()).anyMatch(n -> n.contains("batch_normalization_1/batchnorm/mul"));
    // the batch norm after dense_2's ReLU folds into the logits' input side
    assertThat(m.notes()).anyMatch(n -> n.contains("batch_normalization_2/batchnorm/mul")
        && n.contains("before logits/MatMul"));
  }
}
