package org.tfprune.imports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.nn.FusedBatchNorm;
import org.tensorflow.op.nn.LeakyRelu;
import org.tensorflow.types.TFloat32;
import org.tfprune.spec.FeatureMap;
import org.tfprune.spec.FixedLayer;
import org.tfprune.spec.ResidualBlock;
import org.tfprune.testing.Mnist;

/**
 * The limits of the newer layer kinds (depthwise convs, padding, leaky ReLU, batch norm after the
 * activation, residual additions with any activation): a form outside them inside the network is
 * kept as a fixed region (padding with other values or channels, a leaky ReLU steeper than 1, a
 * per-channel scale after a conv's activation, a channel multiplier above 1, batch norm on both
 * sides of an activation, an inverted residual without expansion, a region reading two layers),
 * ops TensorFlow cannot run as one function of the input are refused with a message naming the
 * node, and a residual block whose closed gate would not leave its shortcut exactly keeps its
 * block ungated.
 */
class LayerKindRefusalsTest {
  @TempDir Path tmp;

  private static void refused(Path p, String... parts) {
    var a = assertThatThrownBy(() -> ModelImporter.load(p, ImportOptions.DEFAULT))
        .isInstanceOf(ImportException.class);
    for (String part : parts) {
      a.hasMessageContaining(part);
    }
  }

  /** A frozen GraphDef: placeholder {@code x} of {@code [-1, 28, 28, 1]}, then {@code body}. */
  private Path frozen(String name, BiFunction<Ops, Placeholder<TFloat32>, Operand<?>> body)
      throws IOException {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 28, 28, 1)));
      body.apply(tf, x);
      Path f = tmp.resolve(name + ".pb");
      Files.write(f, g.toGraphDef().toByteArray());
      return f;
    }
  }

  /** A filter whose values vary with position and channel, so no channel is a copy of another. */
  private static Operand<TFloat32> filter(Ops tf, int k, int in, int out) {
    float[][][][] f = new float[k][k][in][out];
    for (int a = 0; a < k; a++) {
      for (int b = 0; b < k; b++) {
        for (int c = 0; c < in; c++) {
          for (int d = 0; d < out; d++) {
            f[a][b][c][d] = 0.1f * ((a * 5 + b * 3 + c * 7 + d * 11) % 9 - 4);
          }
        }
      }
    }
    return tf.constant(f);
  }

  private static Operand<TFloat32> conv(Ops tf, Operand<TFloat32> x, int k, int in, int out) {
    return tf.nn.biasAdd(tf.nn.conv2d(x, filter(tf, k, in, out), List.of(1L, 1L, 1L, 1L),
        "SAME"), tf.constant(new float[out]));
  }

  /** Global average pooling and a dense layer of 10 logits on {@code channels} channels. */
  private static Operand<TFloat32> head(Ops tf, Operand<TFloat32> h, int channels) {
    float[][] w = new float[channels][10];
    for (int i = 0; i < channels; i++) {
      for (int j = 0; j < 10; j++) {
        w[i][j] = 0.1f * ((i * 3 + j) % 7 - 3);
      }
    }
    Operand<TFloat32> pooled = tf.math.mean(h, tf.constant(new int[] {1, 2}));
    return tf.nn.biasAdd(tf.linalg.matMul(pooled, tf.constant(w)), tf.constant(new float[10]));
  }

  @Test
  void aDepthwiseConvWithAChannelMultiplierAboveOneIsKeptFixed() throws IOException {
    Path f = frozen("multiplier", (tf, x) -> {
      Operand<TFloat32> h = tf.nn.relu(conv(tf, x, 3, 1, 4));
      h = tf.nn.relu(tf.nn.biasAdd(tf.withName("dw").nn.depthwiseConv2dNative(h,
          filter(tf, 3, 4, 2), List.of(1L, 1L, 1L, 1L), "SAME"), tf.constant(new float[8])));
      return head(tf, h, 8);
    });
    FixedLayer fixed = keptFixed(f, "dw", "the channel multiplier 2");
    assertThat(fixed.outputShape()).isEqualTo(new FeatureMap(28, 28, 8));
    assertThat(fixed.macs()).isEqualTo(28L * 28 * 9 * 8);
  }

  /**
   * Imports {@code p} on real images: exact, with one fixed region keeping {@code node} for a
   * reason containing {@code why}, fed by an ungated layer (or the input).
   */
  private static FixedLayer keptFixed(Path p, String node, String why) {
    float[] sample = Mnist.test(100).features(100);
    ImportedModel m = ModelImporter.load(p, ImportOptions.DEFAULT, sample, 100);
    assertThat(m.check().maxAbsDiff()).isLessThanOrEqualTo(ModelImporter.TOLERANCE);
    List<FixedLayer> fixed = m.spec().layers().stream().filter(l -> l instanceof FixedLayer)
        .map(l -> (FixedLayer) l).toList();
    assertThat(fixed).hasSize(1);
    FixedLayer f = fixed.get(0);
    assertThat(f.kept()).containsKey(node);
    assertThat(f.kept().get(node)).contains(why);
    int at = m.spec().layers().indexOf(f);
    assertThat(at == 0 || !m.spec().layers().get(at - 1).gated()).isTrue();
    return f;
  }

  @Test
  void paddingWithAValueOtherThanZeroIsKeptFixed() throws IOException {
    Path f = frozen("padvalue", (tf, x) -> {
      Operand<TFloat32> h = tf.withName("pad").pad(x, tf.constant(new int[][] {{0, 0}, {1, 1},
          {1, 1}, {0, 0}}), tf.constant(0.5f));
      return head(tf, tf.nn.relu(conv(tf, h, 3, 1, 4)), 4);
    });
    FixedLayer fixed = keptFixed(f, "pad", "a value other than 0");
    assertThat(fixed.opTypes()).containsExactly("PadV2");
    assertThat(fixed.outputShape()).isEqualTo(new FeatureMap(30, 30, 1));
  }

  @Test
  void paddingTheChannelsIsKeptFixedAndTheNextConvReadsItsThreeChannels() throws IOException {
    Path f = frozen("padchannels", (tf, x) -> {
      Operand<TFloat32> h = tf.withName("pad").pad(x, tf.constant(new int[][] {{0, 0}, {0, 0},
          {0, 0}, {0, 2}}), tf.constant(0f));
      return head(tf, tf.nn.relu(conv(tf, h, 3, 3, 4)), 4);
    });
    FixedLayer fixed = keptFixed(f, "pad", "[0, 0, 0, 0, 0, 0, 0, 2]");
    assertThat(fixed.outputShape()).isEqualTo(new FeatureMap(28, 28, 3));
  }

  @Test
  void aLeakyReluWithASlopeAboveOneIsKeptFixedAfterAnUngatedConv() throws IOException {
    Path f = frozen("leaky", (tf, x) -> head(tf, tf.withName("act").nn.leakyRelu(
        conv(tf, x, 3, 1, 4), LeakyRelu.alpha(1.5f)), 4));
    assertThat(keptFixed(f, "act", "alpha = 1.5").opTypes()).containsExactly("LeakyRelu");
  }

  @Test
  void aRandomOpInsideTheNetworkIsRefusedNamingItAndItsRegion() throws IOException {
    Path f = frozen("noise", (tf, x) -> {
      Operand<TFloat32> h = tf.nn.relu(conv(tf, x, 3, 1, 4));
      Operand<TFloat32> noise = tf.withName("noise").random.randomUniform(tf.shape(h),
          TFloat32.class);
      return head(tf, tf.withName("dropout").math.mul(h, noise), 4);
    });
    refused(f, "RandomUniform noise", "region dropout", "random or stateful");
  }

  @Test
  void batchNormAfterTheActivationOfAConvWithBatchNormIsKeptFixed() throws IOException {
    Path f = frozen("twice", (tf, x) -> {
      Operand<TFloat32> ones = tf.constant(new float[] {1, 1, 1, 1});
      Operand<TFloat32> zeros = tf.constant(new float[4]);
      Operand<TFloat32> h = tf.withName("bn_before").nn.fusedBatchNorm(conv(tf, x, 3, 1, 4),
          ones, zeros, zeros, ones, FusedBatchNorm.isTraining(false)).y();
      h = tf.withName("bn_after").nn.fusedBatchNorm(tf.nn.relu(h), ones, zeros, zeros, ones,
          FusedBatchNorm.isTraining(false)).y();
      return head(tf, h, 4);
    });
    FixedLayer fixed = keptFixed(f, "bn_after", "normalize one layer twice");
    assertThat(fixed.kept().get("bn_after")).contains("bn_before");
    assertThat(fixed.opTypes()).containsExactly("FusedBatchNormV3");
  }

  @Test
  void aReluBlockOnAStreamThatMayBeNegativeKeepsItsBlockUngatedAndImportsExactly()
      throws IOException {
    // the stem has no activation, so relu(x + 0) is not x: closing the block's gate would not
    // leave its shortcut, and the block gets no gate (its inner filters still do)
    Path f = frozen("negative", (tf, x) -> {
      Operand<TFloat32> stem = conv(tf, x, 3, 1, 4);
      Operand<TFloat32> branch = conv(tf, tf.nn.relu(conv(tf, stem, 3, 4, 4)), 3, 4, 4);
      return head(tf, tf.withName("block").nn.relu(tf.math.add(stem, branch)), 4);
    });
    float[] sample = Mnist.test(100).features(100);
    ImportedModel m = ModelImporter.load(f, ImportOptions.DEFAULT, sample, 100);
    assertThat(m.check().maxAbsDiff()).isLessThanOrEqualTo(ModelImporter.TOLERANCE);
    ResidualBlock b = (ResidualBlock) m.spec().layers().get(1);
    assertThat(b.gated()).isFalse();
    assertThat(b.conv1().gated()).isTrue();
  }

  @Test
  void aRegionThatReadsTwoLayersReachesBackToTheLayerBothRead() throws IOException {
    Path f = frozen("twoinputs", (tf, x) -> {
      Operand<TFloat32> h1 = tf.nn.relu(conv(tf, x, 3, 1, 4));
      Operand<TFloat32> h2 = tf.withName("conv2_relu").nn.relu(conv(tf, h1, 3, 4, 4));
      return head(tf, tf.withName("gated").math.mul(h2, tf.withName("sq").math.square(h1)), 4);
    });
    FixedLayer fixed = keptFixed(f, "gated", "is not part of a layer");
    // the second conv, read by the Mul beside the square of its input, is frozen in the region
    assertThat(fixed.kept()).containsKeys("conv2_relu", "sq");
    assertThat(fixed.opTypes()).contains("Conv2D", "Square", "Mul");
  }

  @Test
  void anUnfusedBatchNormAfterAConvsActivationIsKeptFixedWithItsWeights() throws IOException {
    Path f = frozen("convbn", (tf, x) -> {
      Operand<TFloat32> h = tf.withName("conv_relu").nn.relu(conv(tf, x, 3, 1, 4));
      h = tf.math.add(tf.withName("bn_mul").math.mul(h, tf.constant(new float[] {1, 2, 1, 2})),
          tf.constant(new float[] {0, 1, 0, 1}));
      return head(tf, h, 4);
    });
    FixedLayer fixed = keptFixed(f, "bn_mul", "convolutions take FusedBatchNorm");
    assertThat(fixed.opTypes()).containsExactly("Add", "Mul");
    assertThat(fixed.params()).isEqualTo(8); // the scale and the offset, 4 values each
  }

  @Test
  void anInvertedResidualWithoutExpansionIsKeptFixedFromTheStem()
      throws IOException {
    Path f = frozen("noexpand", (tf, x) -> {
      Operand<TFloat32> stem = tf.nn.relu6(conv(tf, x, 3, 1, 4));
      Operand<TFloat32> h = tf.nn.relu6(tf.nn.biasAdd(tf.withName("dw").nn
          .depthwiseConv2dNative(stem, filter(tf, 3, 4, 1), List.of(1L, 1L, 1L, 1L), "SAME"),
          tf.constant(new float[4])));
      h = tf.withName("add").math.add(stem, conv(tf, h, 1, 4, 4));
      return head(tf, h, 4);
    });
    FixedLayer fixed = keptFixed(f, "add", "1x1 expansion conv");
    assertThat(fixed.kept().get("add")).contains("DepthwiseConv2dNative dw");
    assertThat(fixed.opTypes()).contains("DepthwiseConv2dNative", "Conv2D", "Add");
  }
}
