package org.tfprune.imports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tfprune.imports.FrozenGraphs.dense;
import static org.tfprune.imports.FrozenGraphs.weights;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.nn.Conv2d;
import org.tensorflow.op.nn.FusedBatchNorm;
import org.tensorflow.types.TFloat32;
import org.tfprune.spec.FixedLayer;
import org.tfprune.spec.LayerSpec;

/**
 * Forms the mapper has no layer for, on small frozen graphs: each becomes a fixed region whose
 * import reproduces the original on random inputs, the reason naming the form, and the layer
 * feeding it (or the input) keeps its full width. A region whose paths read two tensors reaches
 * back to the tensor they both read.
 */
class UnmappedFormsTest {
  @TempDir Path tmp;

  private Path frozen(String name, long[] shape,
      BiFunction<Ops, Placeholder<TFloat32>, Operand<?>> body) throws IOException {
    return FrozenGraphs.write(tmp, name, shape, body);
  }


  private static Operand<TFloat32> filter(Ops tf, int kh, int kw, int in, int out) {
    float[][][][] f = new float[kh][kw][in][out];
    for (int a = 0; a < kh; a++) {
      for (int b = 0; b < kw; b++) {
        for (int c = 0; c < in; c++) {
          for (int d = 0; d < out; d++) {
            f[a][b][c][d] = 0.1f * ((a * 5 + b * 3 + c * 7 + d * 11) % 9 - 4);
          }
        }
      }
    }
    return tf.constant(f);
  }

  /**
   * Imports {@code p} on 200 random inputs of {@code features} values in [-1, 2): exact, with
   * one fixed region keeping {@code node} for a reason containing {@code why}, fed by an ungated
   * layer or the input.
   */
  private static FixedLayer keptFixed(Path p, int features, String node, String why) {
    SplittableRandom rng = new SplittableRandom(5);
    float[] x = new float[200 * features];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (rng.nextDouble() * 3 - 1);
    }
    ImportedModel m = ModelImporter.load(p, ImportOptions.DEFAULT, x, 200);
    assertThat(m.check().examples()).isEqualTo(200);
    assertThat(m.check().maxAbsDiff()).isLessThanOrEqualTo(ModelImporter.TOLERANCE);
    List<LayerSpec> layers = m.spec().layers();
    List<FixedLayer> fixed = layers.stream().filter(l -> l instanceof FixedLayer)
        .map(l -> (FixedLayer) l).toList();
    assertThat(fixed).hasSize(1);
    FixedLayer f = fixed.get(0);
    assertThat(f.kept()).containsKey(node);
    assertThat(f.kept().get(node)).contains(why);
    int at = layers.indexOf(f);
    if (at == 0) {
      assertThat(m.spec().input().gated()).isFalse();
    } else {
      assertThat(layers.get(at - 1).gated()).isFalse();
    }
    assertThat(m.notes()).anyMatch(n -> n.contains("kept fixed") && n.contains(node));
    return f;
  }

  @Test
  void aSoftmaxInsideTheNetworkIsKeptFixed() throws IOException {
    Path f = frozen("inner", new long[] {-1, 4}, (tf, x) ->
        dense(tf, tf.withName("inner_softmax").nn.softmax(dense(tf, x, 4, 4)), 4, 3));
    assertThat(keptFixed(f, 4, "inner_softmax", "is inside the network").opTypes())
        .containsExactly("Softmax");
  }

  @Test
  void aDilatedConvolutionIsKeptFixedWithItsFilter() throws IOException {
    Path f = frozen("dilated", new long[] {-1, 6, 6, 1}, (tf, x) -> {
      Operand<TFloat32> h = tf.withName("conv").nn.conv2d(x, filter(tf, 2, 2, 1, 2),
          List.of(1L, 1L, 1L, 1L), "VALID", Conv2d.dilations(List.of(1L, 2L, 2L, 1L)));
      return dense(tf, tf.reshape(h, tf.constant(new int[] {-1, 32})), 32, 3);
    });
    FixedLayer fixed = keptFixed(f, 36, "conv", "is dilated [1, 2, 2, 1]");
    assertThat(fixed.params()).isEqualTo(8);
    assertThat(fixed.macs()).isEqualTo(4L * 4 * 2 * 4); // 4x4 outputs, 2 filters of 4 taps
  }

  @Test
  void aNonSquarePoolingWindowIsKeptFixed() throws IOException {
    Path f = frozen("pool", new long[] {-1, 6, 6, 1}, (tf, x) ->
        dense(tf, tf.reshape(tf.withName("pool").nn.avgPool(x, List.of(1L, 2L, 3L, 1L),
            List.of(1L, 2L, 3L, 1L), "VALID"), tf.constant(new int[] {-1, 6})), 6, 3));
    keptFixed(f, 36, "pool", "has window or strides [1, 2, 3, 1]");
  }

  @Test
  void aNonSquareFilterIsKeptFixedWithItsBiasAndActivation() throws IOException {
    Path f = frozen("rect", new long[] {-1, 6, 6, 1}, (tf, x) -> {
      Operand<TFloat32> h = tf.nn.biasAdd(tf.withName("conv").nn.conv2d(x,
          filter(tf, 3, 1, 1, 2), List.of(1L, 1L, 1L, 1L), "VALID"), tf.constant(new float[2]));
      return dense(tf, tf.reshape(tf.nn.relu(h), tf.constant(new int[] {-1, 48})), 48, 3);
    });
    assertThat(keptFixed(f, 36, "conv", "has a filter of shape [3, 1, 1, 2]").opTypes())
        .containsExactlyInAnyOrder("Conv2D", "BiasAdd", "Relu");
  }

  @Test
  void explicitPaddingIsKeptFixed() throws IOException {
    Path f = frozen("explicit", new long[] {-1, 6, 6, 1}, (tf, x) -> {
      Operand<TFloat32> h = tf.nn.biasAdd(tf.withName("conv").nn.conv2d(x,
          filter(tf, 3, 3, 1, 2), List.of(1L, 1L, 1L, 1L), "EXPLICIT",
          Conv2d.explicitPaddings(List.of(0L, 0L, 1L, 1L, 1L, 1L, 0L, 0L))),
          tf.constant(new float[2]));
      return dense(tf, tf.reshape(tf.nn.relu(h), tf.constant(new int[] {-1, 72})), 72, 3);
    });
    keptFixed(f, 36, "conv", "uses padding 'EXPLICIT'");
  }

  @Test
  void twoDenseBranchesJoinedByAnAddAreOneRegionFromTheInput() throws IOException {
    Path f = frozen("branches", new long[] {-1, 4}, (tf, x) -> dense(tf, tf.nn.relu(
        tf.withName("join").math.add(dense(tf, x, 4, 4), dense(tf, x, 4, 4))), 4, 3));
    FixedLayer fixed = keptFixed(f, 4, "join", "joins two paths that do not form a residual "
        + "block");
    assertThat(fixed.opTypes()).containsExactlyInAnyOrder("MatMul", "BiasAdd", "Add",
        "Relu");
    assertThat(fixed.macs()).isEqualTo(32);
  }

  @Test
  void aResidualAddOfDenseLayersIsKeptFixedBackToTheLayerBothPathsRead() throws IOException {
    Path f = frozen("add", new long[] {-1, 4}, (tf, x) -> {
      Operand<TFloat32> a = tf.withName("first").nn.relu(dense(tf, x, 4, 4));
      return dense(tf, tf.withName("join").math.add(a, tf.nn.relu(dense(tf, a, 4, 4))), 4, 3);
    });
    FixedLayer fixed = keptFixed(f, 4, "join", "joins two paths");
    assertThat(fixed.kept()).doesNotContainKey("first");
    assertThat(fixed.macs()).isEqualTo(16); // the inner dense layer, now frozen
  }

  @Test
  void aGroupedConvolutionIsKeptFixed() throws IOException {
    Path f = frozen("grouped", new long[] {-1, 6, 6, 1}, (tf, x) -> {
      Operand<TFloat32> h = tf.nn.relu(tf.nn.biasAdd(tf.nn.conv2d(x, filter(tf, 3, 3, 1, 4),
          List.of(1L, 1L, 1L, 1L), "SAME"), tf.constant(new float[4])));
      h = tf.nn.relu(tf.withName("grouped").nn.conv2d(h, filter(tf, 3, 3, 2, 4),
          List.of(1L, 1L, 1L, 1L), "VALID"));
      return dense(tf, tf.reshape(h, tf.constant(new int[] {-1, 64})), 64, 3);
    });
    FixedLayer fixed = keptFixed(f, 36, "grouped", "a grouped convolution");
    assertThat(fixed.macs()).isEqualTo(4L * 4 * 9 * 2 * 4);
  }

  @Test
  void logitsWithABiasComputedInTheGraphAreAFixedHead() throws IOException {
    Path f = frozen("computed", new long[] {-1, 4}, (tf, x) -> tf.withName("out").nn.biasAdd(
        tf.linalg.matMul(tf.nn.relu(dense(tf, x, 4, 5)), weights(tf, 5, 3)),
        tf.nn.relu(tf.constant(new float[] {0.5f, -1f, 2f}))));
    FixedLayer head = keptFixed(f, 4, "out", "adds a computed tensor, not a bias");
    assertThat(head.outputShape().channels()).isEqualTo(3);
    // the MatMul is a dense layer of 3 units, ungated; the head computes and adds the bias
    assertThat(head.opTypes()).containsExactly("BiasAdd", "Relu");
    assertThat(head.macs()).isZero();
  }

  @Test
  void batchNormWithAComputedMeanIsKeptFixed() throws IOException {
    Path f = frozen("bnmean", new long[] {-1, 6, 6, 1}, (tf, x) -> {
      Operand<TFloat32> c = tf.nn.conv2d(x, filter(tf, 3, 3, 1, 2), List.of(1L, 1L, 1L, 1L),
          "VALID");
      Operand<TFloat32> ones = tf.constant(new float[] {1, 1});
      Operand<TFloat32> h = tf.withName("bn").nn.fusedBatchNorm(c, ones,
          tf.constant(new float[] {0, 0}), tf.nn.relu(tf.constant(new float[] {0.5f, -0.5f})),
          ones, FusedBatchNorm.isTraining(false)).y();
      return dense(tf, tf.reshape(tf.nn.relu(h), tf.constant(new int[] {-1, 32})), 32, 3);
    });
    FixedLayer fixed = keptFixed(f, 36, "bn", "takes a computed tensor as input 3");
    // the conv before it is a layer of its own, ungated; the region computes the mean
    assertThat(fixed.opTypes()).containsExactlyInAnyOrder("FusedBatchNormV3", "Relu");
  }

  @Test
  void aRegionAfterPoolingWithKeepdimsReadsThePooledMapInItsOwnShape() throws IOException {
    Path f = frozen("squeeze", new long[] {-1, 6, 6, 1}, (tf, x) -> {
      Operand<TFloat32> h = tf.nn.relu(tf.nn.biasAdd(tf.nn.conv2d(x, filter(tf, 3, 3, 1, 4),
          List.of(1L, 1L, 1L, 1L), "SAME"), tf.constant(new float[4])));
      h = tf.math.mean(h, tf.constant(new int[] {1, 2}),
          org.tensorflow.op.math.Mean.keepDims(true));
      h = tf.withName("squeeze").squeeze(h, org.tensorflow.op.core.Squeeze.axis(
          List.of(1L, 2L)));
      return dense(tf, tf.withName("selu").nn.selu(h), 4, 3);
    });
    FixedLayer fixed = keptFixed(f, 36, "squeeze", "not a layer kind");
    assertThat(fixed.inputShape().isFlat()).isTrue();
    assertThat(fixed.opTypes()).contains("Squeeze", "Selu");
  }

  @Test
  void mobileNetV3sHeadMapsItsOneByOneConvsAsDenseLayersAroundAFixedHardSwish()
      throws IOException {
    Path f = frozen("v3head", new long[] {-1, 6, 6, 1}, (tf, x) -> {
      Operand<TFloat32> h = tf.nn.relu(tf.nn.biasAdd(tf.nn.conv2d(x, filter(tf, 3, 3, 1, 4),
          List.of(1L, 1L, 1L, 1L), "SAME"), tf.constant(new float[4])));
      h = tf.math.mean(h, tf.constant(new int[] {1, 2}),
          org.tensorflow.op.math.Mean.keepDims(true));
      h = tf.nn.biasAdd(tf.withName("last_conv").nn.conv2d(h, filter(tf, 1, 1, 4, 8),
          List.of(1L, 1L, 1L, 1L), "SAME"), tf.constant(new float[8]));
      // hard swish: x * relu6(x + 3) / 6
      h = tf.withName("hard_swish").math.mul(h, tf.math.div(tf.nn.relu6(tf.math.add(h,
          tf.constant(3f))), tf.constant(6f)));
      h = tf.nn.biasAdd(tf.withName("logits_conv").nn.conv2d(h, filter(tf, 1, 1, 8, 3),
          List.of(1L, 1L, 1L, 1L), "SAME"), tf.constant(new float[] {0.1f, 0f, -0.1f}));
      return tf.withName("flatten").reshape(h, tf.constant(new int[] {-1, 3}));
    });
    FixedLayer fixed = keptFixed(f, 36, "hard_swish", "not part of a layer");
    assertThat(fixed.inputShape().isFlat()).isTrue();
    assertThat(fixed.macs()).isZero();
  }
}
