package org.tfprune.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.collect.ImmutableList;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpecTest {
  private static ArchitectureSpec mlp() {
    return ArchitectureSpec.of("mlp", InputSpec.flat(6, true), DenseLayer.gatedRelu("dense0", 4),
        DenseLayer.gatedRelu("dense1", 3), DenseLayer.logits("output", 2));
  }

  private static Map<String, boolean[]> allKept() {
    Map<String, boolean[]> m = new LinkedHashMap<>();
    m.put("input", new boolean[] {true, true, true, true, true, true});
    m.put("dense0", new boolean[] {true, true, true, true});
    m.put("dense1", new boolean[] {true, true, true});
    return m;
  }

  @Test
  void duplicateLayerNamesAreRejectedNamingTheLayer() {
    assertThatThrownBy(() -> ArchitectureSpec.of("dup", InputSpec.flat(3, false),
        DenseLayer.gatedRelu("hidden", 4), DenseLayer.gatedRelu("hidden", 4),
        DenseLayer.logits("output", 2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'hidden'").hasMessageContaining("used twice");
  }

  @Test
  void reservedLayerNamesAreRejected() {
    for (String reserved : new String[] {"input", "logits", "probabilities", "labels"}) {
      assertThatThrownBy(() -> ArchitectureSpec.of("r", InputSpec.flat(3, false),
          DenseLayer.gatedRelu(reserved, 4), DenseLayer.logits("output", 2)))
          .as("layer name %s", reserved)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + reserved + "'").hasMessageContaining("reserved");
    }
  }

  @Test
  void gatedLastLayerIsRejected() {
    assertThatThrownBy(() -> ArchitectureSpec.of("g", InputSpec.flat(3, false),
        DenseLayer.gatedRelu("hidden", 4), new DenseLayer("output", 2, Activation.IDENTITY, true)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'output'").hasMessageContaining("cannot be gated");
  }

  @Test
  void lastLayerWithActivationIsRejected() {
    assertThatThrownBy(() -> ArchitectureSpec.of("a", InputSpec.flat(3, false),
        new DenseLayer("output", 2, Activation.RELU, false)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'output'").hasMessageContaining("no activation");
  }

  @Test
  void zeroUnitsAreRejectedNamingTheLayer() {
    assertThatThrownBy(() -> DenseLayer.gatedRelu("hidden", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'hidden'").hasMessageContaining("at least one unit");
  }

  @Test
  void badLayerNamesAndEmptySpecsAreRejected() {
    assertThatThrownBy(() -> DenseLayer.gatedRelu("a/b", 3))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'a/b'");
    assertThatThrownBy(() -> new ArchitectureSpec("empty", InputSpec.flat(3, false),
        ImmutableList.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no layers");
    assertThatThrownBy(() -> InputSpec.of(28, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positive");
  }

  @Test
  void inputGatesNeedAFlatInput() {
    assertThatThrownBy(() -> new InputSpec(ImmutableList.of(28, 28), true, ImmutableList.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("flat");
  }

  @Test
  void gateGroupsListInputFirstThenGatedLayersInOrder() {
    ArchitectureSpec s = mlp();
    assertThat(s.gateGroups()).containsExactly(new GateGroup("input", 6),
        new GateGroup("dense0", 4), new GateGroup("dense1", 3));
    assertThat(s.withoutGates().gateGroups()).isEmpty();
    assertThat(s.withoutGates().hasGates()).isFalse();
    assertThat(s.numClasses()).isEqualTo(2);
    assertThat(s.widthString()).isEqualTo("6-4-3-2");
  }

  @Test
  void compactWithAFullMaskKeepsEveryLayerAndFeature() {
    ArchitectureSpec s = mlp();
    ArchitectureSpec c = s.compact(KeepMask.all(s));
    assertThat(c.layers()).isEqualTo(s.layers());
    assertThat(c.widths()).containsExactly(s.widths());
    assertThat(c.input().readFeatures()).containsExactly(0, 1, 2, 3, 4, 5);
    assertThat(c.input().shape()).isEqualTo(s.input().shape());
  }

  @Test
  void compactKeepsTheMaskedWidths() {
    Map<String, boolean[]> m = allKept();
    m.put("dense0", new boolean[] {false, true, false, true});
    m.put("dense1", new boolean[] {true, false, false});
    ArchitectureSpec c = mlp().compact(KeepMask.of(m));
    assertThat(c.widths()).containsExactly(6, 2, 1, 2);
    assertThat(c.layer("dense0").gated()).isTrue();
    assertThat(c.layer("output").width()).isEqualTo(2);
    assertThat(c.input().readFeatures()).containsExactly(0, 1, 2, 3, 4, 5);
  }

  @Test
  void compactRemovesInputFeaturesAsSelectedFeatures() {
    Map<String, boolean[]> m = allKept();
    m.put("input", new boolean[] {false, true, true, false, true, false});
    ArchitectureSpec c = mlp().compact(KeepMask.of(m));
    assertThat(c.input().selectedFeatures()).containsExactly(1, 2, 4);
    assertThat(c.input().width()).isEqualTo(3);
    assertThat(c.input().size()).as("the fed example keeps its full size").isEqualTo(6);
    assertThat(c.input().shape()).containsExactly(6);
    assertThat(c.widths()).containsExactly(3, 4, 3, 2);

    // compacting again maps indices of the read features back to the original features
    Map<String, boolean[]> m2 = new LinkedHashMap<>();
    m2.put("input", new boolean[] {true, false, true});
    m2.put("dense0", new boolean[] {true, true, true, true});
    m2.put("dense1", new boolean[] {true, true, true});
    ArchitectureSpec c2 = c.compact(KeepMask.of(m2));
    assertThat(c2.input().selectedFeatures()).containsExactly(1, 4);
    assertThat(c2.input().readFeatures()).containsExactly(1, 4);
  }

  @Test
  void maskThatRemovesAWholeLayerIsRefusedNamingTheLayer() {
    Map<String, boolean[]> m = allKept();
    m.put("dense1", new boolean[] {false, false, false});
    assertThatThrownBy(() -> mlp().compact(KeepMask.of(m)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'dense1'").hasMessageContaining("every unit");
  }

  @Test
  void maskThatRemovesEveryInputFeatureIsRefused() {
    Map<String, boolean[]> m = allKept();
    m.put("input", new boolean[6]);
    assertThatThrownBy(() -> mlp().compact(KeepMask.of(m)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("every input feature");
  }

  @Test
  void maskThatDoesNotFitTheSpecIsRefused() {
    Map<String, boolean[]> missing = allKept();
    missing.remove("dense0");
    assertThatThrownBy(() -> mlp().compact(KeepMask.of(missing)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'dense0'");
    Map<String, boolean[]> wrongSize = allKept();
    wrongSize.put("dense1", new boolean[] {true, true});
    assertThatThrownBy(() -> mlp().compact(KeepMask.of(wrongSize)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'dense1'").hasMessageContaining("2 flags")
        .hasMessageContaining("3 gates");
  }

  @Test
  void unknownLayerLookupNamesTheLayer() {
    assertThatThrownBy(() -> mlp().layer("nope"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'nope'");
  }

  @Test
  void anInvertedResidualBlockHoldsADepthwiseConvWithConv1sFiltersThatShrinksWithThem() {
    Conv2DLayer expand = new Conv2DLayer("expand", 12, 1, 1, Padding.SAME, true,
        Activation.RELU6, true);
    Conv2DLayer project = new Conv2DLayer("project", 4, 1, 1, Padding.SAME, true,
        Activation.IDENTITY, false);
    ResidualBlock b = new ResidualBlock("block", expand, project, null, true,
        Activation.IDENTITY, null, depthwise(12));
    assertThat(b.outputShape(new FeatureMap(8, 8, 4))).isEqualTo(new FeatureMap(8, 8, 4));
    ResidualBlock compact = b.withInnerWidth(5);
    assertThat(compact.depthwise().filters()).isEqualTo(5);
    assertThat(compact.conv1().filters()).isEqualTo(5);
    assertThatThrownBy(() -> new ResidualBlock("block", expand, project, null, true,
        Activation.IDENTITY, null, depthwise(8)))
        .hasMessageContaining("depthwise conv with conv1's 12 filters");
    assertThatThrownBy(() -> new ResidualBlock("block", expand, project, null, true,
        Activation.IDENTITY, null, new Conv2DLayer("dw", 12, 3, 1, Padding.SAME, true,
            Activation.RELU6, false)))
        .hasMessageContaining("ungated depthwise conv");
  }

  private static Conv2DLayer depthwise(int channels) {
    return new Conv2DLayer("dw", channels, 3, 1, Padding.SAME, true, Activation.RELU6, false,
        Conv2DLayer.DEFAULT_BATCH_NORM_EPSILON, false, true);
  }
}
