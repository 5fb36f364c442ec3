package org.tfprune.imports;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tfprune.complexity.Complexity;
import org.tfprune.complexity.ComplexityCounter;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.FixedLayer;
import org.tfprune.spec.GateGroup;
import org.tfprune.spec.LayerSpec;
import org.tfprune.testing.ArrayData;
import org.tfprune.testing.LayerKindModels;
import org.tfprune.testing.LayerKindModels.Kind;
import org.tfprune.testing.Mnist;

/**
 * Ops the importer does not map, between two prunable layers, are kept as one fixed region: the
 * import is exact, the layer feeding the region keeps its full width, the layers around it keep
 * their gates, and the region's ops, the reason each was kept and its counts are listed.
 */
class FixedRegionImportTest {
  private static final int COUNT = 500;

  private static ImportedModel load(Kind kind) {
    ArrayData test = Mnist.test(COUNT);
    return ModelImporter.load(LayerKindModels.model(kind), ImportOptions.DEFAULT,
        test.features(COUNT), COUNT);
  }

  private static FixedLayer fixed(ArchitectureSpec spec) {
    List<FixedLayer> f = spec.layers().stream().filter(l -> l instanceof FixedLayer)
        .map(l -> (FixedLayer) l).toList();
    assertThat(f).hasSize(1);
    return f.get(0);
  }

  private static List<String> groups(ArchitectureSpec spec) {
    return spec.gateGroups().stream().map(GateGroup::name).toList();
  }

  @Test
  void aSeluBetweenDenseLayersIsKeptFixedAndTheImportIsExact() {
    ImportedModel m = load(Kind.FIXED_SELU_DENSE);
    assertThat(m.check().maxAbsDiff()).isLessThanOrEqualTo(ModelImporter.TOLERANCE);
    ArchitectureSpec spec = m.spec();
    FixedLayer f = fixed(spec);
    assertThat(f.kept()).containsOnlyKeys("selu/Selu");
    assertThat(f.kept().get("selu/Selu")).contains("Selu selu/Selu", "not a layer kind");
    assertThat(f.opTypes()).containsExactly("Selu");
    int at = spec.layers().indexOf(f);
    LayerSpec before = spec.layers().get(at - 1);
    assertThat(before.gated()).as("the layer feeding the region keeps its width").isFalse();
    assertThat(before.width()).isEqualTo(24);
    assertThat(spec.layers().get(at + 1).gated()).isTrue();
    assertThat(groups(spec)).containsExactly("dense", "dense_2");
    Complexity c = ComplexityCounter.perLayer(spec).get(f.name());
    assertThat(c).isEqualTo(new Complexity(0, 0)); // element-wise, no weights
    assertThat(m.notes()).anyMatch(n -> n.contains("kept fixed") && n.contains("selu/Selu"));
  }

  @Test
  void aRegionOnAFlatInputKeepsEveryInputFeatureUngated(@TempDir Path tmp) throws IOException {
    Path f = tmp.resolve("square-input.pb");
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 784)));
      float[][] w1 = new float[784][16];
      float[][] w2 = new float[16][10];
      for (int i = 0; i < 784; i++) {
        for (int j = 0; j < 16; j++) {
          w1[i][j] = 0.01f * ((i * 7 + j * 3) % 11 - 5);
          w2[j % 16][i % 10] = 0.1f * ((i + j) % 5 - 2);
        }
      }
      Operand<TFloat32> h = tf.withName("sq").math.square(x);
      h = tf.nn.relu(tf.nn.biasAdd(tf.linalg.matMul(h, tf.constant(w1)),
          tf.constant(new float[16])));
      tf.withName("logits").nn.biasAdd(tf.linalg.matMul(h, tf.constant(w2)),
          tf.constant(new float[10]));
      Files.write(f, g.toGraphDef().toByteArray());
    }
    ImportedModel m = ModelImporter.load(f, ImportOptions.DEFAULT, Mnist.test(COUNT)
        .features(COUNT), COUNT);
    assertThat(m.check().maxAbsDiff()).isLessThanOrEqualTo(ModelImporter.TOLERANCE);
    assertThat(m.spec().layers().get(0)).isInstanceOf(FixedLayer.class);
    assertThat(m.spec().input().gated()).isFalse();
    assertThat(groups(m.spec())).hasSize(1); // the hidden dense layer
  }

  @Test
  void aSquareAndAPerChannelMulBetweenConvsAreOneFixedRegionWithTheirWeight() {
    ImportedModel m = load(Kind.FIXED_SQUARE_CONV);
    assertThat(m.check().maxAbsDiff()).isLessThanOrEqualTo(ModelImporter.TOLERANCE);
    ArchitectureSpec spec = m.spec();
    FixedLayer f = fixed(spec);
    assertThat(f.kept()).containsOnlyKeys("scale/mul", "scale/Square");
    assertThat(f.kept().get("scale/mul")).contains("per-unit constant");
    assertThat(f.opTypes()).containsExactly("Mul", "Square");
    assertThat(f.weights()).hasSize(1);
    assertThat(f.outputShape()).isEqualTo(f.inputShape());
    int at = spec.layers().indexOf(f);
    assertThat(spec.layers().get(at - 1).gated()).isFalse();
    assertThat(spec.layers().get(at + 1).gated()).isTrue();
    assertThat(groups(spec)).hasSize(2);
    assertThat(ComplexityCounter.perLayer(spec).get(f.name())).isEqualTo(new Complexity(0,
        12));
    assertThat(m.parameters().get(f.name() + "/" + FixedLayer.WEIGHT + "0").size())
        .isEqualTo(12);
  }

  private static List<FixedLayer> allFixed(ArchitectureSpec spec) {
    return spec.layers().stream().filter(l -> l instanceof FixedLayer).map(l -> (FixedLayer) l)
        .toList();
  }

  @Test
  void anAdditionThatIsNoResidualBlockIsKeptFixedBackToTheTensorBothBranchesRead() {
    ImportedModel m = load(Kind.FIXED_JOIN);
    assertThat(m.check().maxAbsDiff()).isLessThanOrEqualTo(ModelImporter.TOLERANCE);
    ArchitectureSpec spec = m.spec();
    FixedLayer f = fixed(spec);
    // the region reaches back past the mapped conv of the first branch to the pool both read
    assertThat(f.kept()).containsKeys("join/add", "join/dilated/Conv2d", "join/plain/Conv2d",
        "join/wide/Conv2d");
    assertThat(f.kept().get("join/add")).contains("dilated [1, 2, 2, 1]");
    assertThat(f.kept().get("join/wide/Conv2d")).contains("[1, 3, 8, 8]");
    assertThat(f.kept().get("join/plain/Conv2d")).contains("part of the region");
    assertThat(f.opTypes()).contains("Conv2D", "BiasAdd", "Relu");
    assertThat(f.inputShape()).isEqualTo(new org.tfprune.spec.FeatureMap(14, 14, 8));
    int at = spec.layers().indexOf(f);
    assertThat(spec.layers().get(at - 1).name()).isEqualTo("max_pooling2d");
    assertThat(spec.layers().get(at - 2).gated()).as("the conv before the pool feeds the region")
        .isFalse();
    assertThat(groups(spec)).containsExactly("conv2d_1");
    // the region's three convs are counted: 14 x 14 x 8 x (9 + 9 + 3) x 8 MACs
    assertThat(ComplexityCounter.perLayer(spec).get(f.name()).macs())
        .isEqualTo(14L * 14 * 8 * 21 * 8);
  }

  @Test
  void aChannelMultiplierBatchNormTwiceAndAnInnerSoftmaxAreKeptAsTwoRegions() {
    ImportedModel m = load(Kind.FIXED_KINDS);
    assertThat(m.check().maxAbsDiff()).isLessThanOrEqualTo(ModelImporter.TOLERANCE);
    List<FixedLayer> fixed = allFixed(m.spec());
    assertThat(fixed).hasSize(2);
    assertThat(fixed.get(0).kept()).containsKey("expand/depthwise");
    assertThat(fixed.get(0).kept().get("expand/depthwise")).contains("channel multiplier 2");
    assertThat(fixed.get(0).outputShape()).isEqualTo(new org.tfprune.spec.FeatureMap(14, 14,
        16));
    assertThat(fixed.get(1).kept()).containsKeys("attend/Softmax");
    assertThat(String.join(" ", fixed.get(1).kept().values())).contains("normalize one layer "
        + "twice");
    assertThat(fixed.get(1).opTypes()).contains("Softmax", "FusedBatchNormV3");
    assertThat(groups(m.spec())).containsExactly("conv2d_1");
  }

  @ParameterizedTest
  @EnumSource(value = Kind.class, names = {"CONV_HEAD", "CONV_HEAD_KEEPDIMS"})
  void aOneByOneConvOfTheClassScoresOnThePooledMapIsTheLogitsDenseLayer(Kind kind) {
    ImportedModel m = load(kind);
    assertThat(m.check().maxAbsDiff()).isLessThanOrEqualTo(ModelImporter.TOLERANCE);
    ArchitectureSpec spec = m.spec();
    assertThat(allFixed(spec)).isEmpty();
    LayerSpec last = spec.layers().get(spec.layers().size() - 1);
    assertThat(last).isInstanceOf(org.tfprune.spec.DenseLayer.class);
    assertThat(last.name()).isEqualTo("conv_preds");
    assertThat(last.gated()).isFalse();
    assertThat(spec.numClasses()).isEqualTo(10);
    // the last conv's filters pass through the pooling to the dense layer, and are pruned
    assertThat(spec.layer("conv2").gated()).isTrue();
    assertThat(groups(spec)).containsExactly("conv1", "conv2");
  }
}
