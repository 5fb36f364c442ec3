package org.tfprune.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.nn.FusedBatchNorm;
import org.tensorflow.types.TFloat32;

/**
 * Flat TF1-style conv nets written with plain TF-Java {@code Ops}, one per layer kind that real
 * image models use and tf-prune maps: batch norm after the ReLU (as Keras's {@code Conv2D(...,
 * activation='relu')} then {@code BatchNormalization}), convolutions without a bias or with a bias
 * added by {@code Add}/{@code AddV2}, {@code FusedBatchNorm} v1, residual additions without an
 * activation after them and with a strided projection shortcut, ReLU6 / sigmoid / tanh / leaky
 * ReLU, average pooling, {@code Pad} before a VALID convolution, and a depthwise convolution
 * between two convs (MobileNet's pattern), pre-activation residual blocks, and the blocks of
 * {@link BlockKindModels}, and ops kept as fixed regions ({@link FixedRegionModels}). The
 * weights are random (He-scaled) and the batch norms have non-trivial statistics, scales and
 * offsets: enough to compare an import with its original and to prune it. Every model has signature {@code serving_default}, input key
 * {@value #INPUT_KEY} (node {@value #INPUT}, {@code [-1, 28, 28, 1]}) and output {@value #PROBS}
 * (the softmax of the logits).
 */
public final class LayerKindModels {
  public static final String INPUT_KEY = "image";
  public static final String INPUT = "x";
  public static final String PROBS = "probs";

  /** The fixtures. */
  public enum Kind {
    /** conv + BiasAdd + Relu + FusedBatchNormV3 twice, max pool, flatten, dense, dropout. */
    BN_AFTER_RELU,
    /** A conv without bias, one with an AddV2 bias, one with an Add bias and FusedBatchNorm v1. */
    BIAS_FORMS,
    /** An identity block with nothing after its AddV2, a strided projection block, a ReLU block. */
    LINEAR_RESIDUAL,
    /** Relu6, Sigmoid and Tanh convs (batch norm after the tanh), a LeakyRelu dense layer. */
    ACTIVATIONS,
    /** Pad + VALID strided conv, average pooling, PadV2 + VALID conv, average pooling, Mean. */
    PAD_AVG_POOL,
    /** conv + BN + Relu6, DepthwiseConv2dNative + BN + Relu6 (stride 2), 1x1 conv, Mean. */
    DEPTHWISE,
    /** Pre-activation (ResNet v2) blocks: an identity one and a strided projection one. */
    PREACT,
    /**
     * MobileNetV2: a stem, a block without expansion, inverted residual blocks with their
     * addition (stride 1, same channels) and without (stride 2, more channels), a 1x1 head.
     */
    INVERTED_RESIDUAL,
    /** Pre-activation blocks, then ResNet v2's final batch norm and ReLU on the stream. */
    PREACT_FINAL_NORM,
    /** Dense layers with Keras's unfused batch norm (Mul, then AddV2 or Sub) around a ReLU. */
    DENSE_BATCH_NORM,
    /** A Selu, which tf-prune keeps as a fixed region, between two dense layers. */
    FIXED_SELU_DENSE,
    /** A Square and a per-channel Mul, kept as one fixed region, between two convs. */
    FIXED_SQUARE_CONV,
    /** ResNet50's bottleneck blocks: a strided projection one and an identity one. */
    BOTTLENECK_V1,
    /**
     * ResNet50V2's pre-activation bottleneck blocks: a projection one, then a strided one whose
     * identity shortcut is a max pool of size 1 and stride 2.
     */
    BOTTLENECK_V2,
    /**
     * Two conv branches joined by an addition that is no residual block (one dilated), then a
     * 1x3 conv: one fixed region holding a conv the mapper could map.
     */
    FIXED_JOIN,
    /**
     * A depthwise conv with channel multiplier 2; batch norm before and after one ReLU, then a
     * softmax over the channels: two fixed regions.
     */
    FIXED_KINDS,
    /**
     * Keras MobileNet's head: global average pooling, a reshape to 1x1, a 1x1 conv of the class
     * scores and a reshape to the logits.
     */
    CONV_HEAD,
    /** The same head with the pooling's {@code keepdims} in place of the first reshape. */
    CONV_HEAD_KEEPDIMS
  }

  private static final Map<Kind, Path> BUILT = new EnumMap<>(Kind.class);

  private LayerKindModels() {}

  /** The fixture of {@code kind}, written once per JVM into a temporary directory. */
  public static synchronized Path model(Kind kind) {
    return BUILT.computeIfAbsent(kind, k -> {
      try {
        Path dir = Files.createTempDirectory("layer-kinds").resolve(k.name().toLowerCase());
        write(k, dir);
        return dir;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  /** Writes the SavedModel of {@code kind} to {@code dir}. */
  public static void write(Kind kind, Path dir) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      FixtureNet n = new FixtureNet(g, 31 + kind.ordinal());
      Placeholder<TFloat32> x = n.tf.withName(INPUT).placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 28, 28, 1)));
      Operand<TFloat32> logits = switch (kind) {
        case BN_AFTER_RELU -> bnAfterRelu(n, x);
        case BIAS_FORMS -> biasForms(n, x);
        case LINEAR_RESIDUAL -> linearResidual(n, x);
        case ACTIVATIONS -> activations(n, x);
        case PAD_AVG_POOL -> padAvgPool(n, x);
        case DEPTHWISE -> depthwise(n, x);
        case PREACT -> preActivation(n, x);
        case INVERTED_RESIDUAL -> BlockKindModels.invertedResidual(n, x);
        case PREACT_FINAL_NORM -> BlockKindModels.preActFinalNorm(n, x);
        case DENSE_BATCH_NORM -> BlockKindModels.denseBatchNorm(n, x);
        case FIXED_SELU_DENSE -> FixedRegionModels.seluBetweenDenseLayers(n, x);
        case FIXED_SQUARE_CONV -> FixedRegionModels.squareBetweenConvs(n, x);
        case BOTTLENECK_V1 -> BottleneckModels.v1(n, x);
        case BOTTLENECK_V2 -> BottleneckModels.v2(n, x);
        case FIXED_JOIN -> FixedRegionModels.joinedBranches(n, x);
        case FIXED_KINDS -> FixedRegionModels.unmappedKinds(n, x);
        case CONV_HEAD -> FixedRegionModels.convHead(n, x, false);
        case CONV_HEAD_KEEPDIMS -> FixedRegionModels.convHead(n, x, true);
      };
      Operand<TFloat32> probs = n.tf.withName(PROBS).nn.softmax(logits);
      n.p.initialize(s);
      ForeignModels.export(dir, s, Signature.builder().key("serving_default")
          .methodName("tensorflow/serving/predict").input(INPUT_KEY, x).output(PROBS, probs)
          .build());
    }
  }

  private static Operand<TFloat32> bnAfterRelu(FixtureNet n, Operand<TFloat32> x) {
    Ops c1 = n.tf.withSubScope("conv2d");
    Operand<TFloat32> h = n.bn(c1, c1.nn.relu(n.tf.nn.biasAdd(n.conv(c1, x, 3, 1, 8, 1, "VALID"),
        n.vector(c1, "bias", 8, -0.1f, 0.1f))), 8, false);
    Ops pool = n.tf.withSubScope("max_pooling2d");
    h = pool.nn.maxPool(h, pool.constant(new int[] {1, 2, 2, 1}),
        pool.constant(new int[] {1, 2, 2, 1}), "VALID");
    Ops c2 = n.tf.withSubScope("conv2d_1");
    h = n.bn(c2, c2.nn.relu(c2.nn.biasAdd(n.conv(c2, h, 3, 8, 16, 1, "VALID"),
        n.vector(c2, "bias", 16, -0.1f, 0.1f))), 16, false);
    Ops flat = n.tf.withSubScope("flatten");
    h = flat.reshape(h, flat.constant(new int[] {-1, 11 * 11 * 16}));
    Ops d = n.tf.withSubScope("dense");
    h = d.nn.relu(n.dense(d, h, 11 * 11 * 16, 32));
    h = n.tf.withSubScope("dropout").withName("Identity").identity(h);
    return n.dense(n.tf.withSubScope("dense_1"), h, 32, 10);
  }

  private static Operand<TFloat32> biasForms(FixtureNet n, Operand<TFloat32> x) {
    Ops c1 = n.tf.withSubScope("conv_nobias");
    Operand<TFloat32> h = c1.nn.relu(n.conv(c1, x, 5, 1, 6, 1, "SAME"));
    Ops c2 = n.tf.withSubScope("conv_addv2");
    h = c2.nn.relu(n.addV2(c2, n.conv(c2, h, 3, 6, 8, 2, "SAME"),
        n.vector(c2, "bias", 8, -0.2f, 0.2f)));
    Ops c3 = n.tf.withSubScope("conv_add_bn1");
    h = c3.nn.relu(n.bn(c3, c3.math.add(n.conv(c3, h, 3, 8, 8, 1, "SAME"),
        n.vector(c3, "bias", 8, -0.2f, 0.2f)), 8, true));
    Ops pool = n.tf.withSubScope("pool");
    h = pool.nn.maxPool(h, pool.constant(new int[] {1, 2, 2, 1}),
        pool.constant(new int[] {1, 2, 2, 1}), "VALID");
    Ops flat = n.tf.withSubScope("flatten");
    h = flat.reshape(h, flat.constant(new int[] {-1, 7 * 7 * 8}));
    Ops out = n.tf.withSubScope("logits");
    return n.addV2(out, out.linalg.matMul(h, n.p.he(out, "kernel", 392, 392, 10)),
        n.vector(out, "bias", 10, -0.1f, 0.1f));
  }

  private static Operand<TFloat32> linearResidual(FixtureNet n, Operand<TFloat32> x) {
    Operand<TFloat32> h = stemAndPool(n, x);
    // an identity block with nothing after its addition (pre-activation / linear bottleneck)
    Ops b1 = n.tf.withSubScope("block1");
    h = n.addV2(b1, h, branch(n, b1, h, 8, 8, 1));
    // a strided projection block, Add then Relu
    Ops b2 = n.tf.withSubScope("block2");
    Ops sc = b2.withSubScope("shortcut");
    Operand<TFloat32> shortcut = n.bn(sc, n.conv(sc, h, 1, 8, 16, 2, "SAME"), 16, false);
    h = b2.nn.relu(b2.math.add(shortcut, branch(n, b2, h, 8, 16, 2)));
    // an identity block, AddV2 then Relu, on a stream that is never negative
    Ops b3 = n.tf.withSubScope("block3");
    h = b3.nn.relu(n.addV2(b3, h, branch(n, b3, h, 16, 16, 1)));
    Ops head = n.tf.withSubScope("head");
    h = n.tf.withName("gap").math.mean(h, n.tf.constant(new int[] {1, 2}));
    return n.dense(head, h, 16, 10);
  }

  /** bn(conv_b(relu(bn(conv_a(x))))). */
  private static Operand<TFloat32> branch(FixtureNet n, Ops block, Operand<TFloat32> x, int in,
      int out, int stride) {
    Ops a = block.withSubScope("conv_a");
    Operand<TFloat32> h = a.nn.relu(n.bn(a, n.conv(a, x, 3, in, out, stride, "SAME"), out,
        false));
    Ops b = block.withSubScope("conv_b");
    return n.bn(b, n.conv(b, h, 3, out, out, 1, "SAME"), out, false);
  }

  private static Operand<TFloat32> activations(FixtureNet n, Operand<TFloat32> x) {
    Ops c1 = n.tf.withSubScope("conv_relu6");
    Operand<TFloat32> h = c1.nn.relu6(c1.nn.biasAdd(n.conv(c1, x, 3, 1, 8, 1, "SAME"),
        n.vector(c1, "bias", 8, -0.2f, 0.2f)));
    Ops c2 = n.tf.withSubScope("conv_sigmoid");
    h = c2.math.sigmoid(c2.nn.biasAdd(n.conv(c2, h, 3, 8, 8, 2, "SAME"),
        n.vector(c2, "bias", 8, -0.5f, 0.5f)));
    Ops c3 = n.tf.withSubScope("conv_tanh");
    h = n.bn(c3, c3.math.tanh(c3.nn.biasAdd(n.conv(c3, h, 3, 8, 8, 2, "SAME"),
        n.vector(c3, "bias", 8, -0.5f, 0.5f))), 8, false);
    Ops flat = n.tf.withSubScope("flatten");
    h = flat.reshape(h, flat.constant(new int[] {-1, 7 * 7 * 8}));
    Ops d = n.tf.withSubScope("dense_leaky");
    h = d.nn.leakyRelu(n.dense(d, h, 392, 16), org.tensorflow.op.nn.LeakyRelu.alpha(0.3f));
    return n.dense(n.tf.withSubScope("logits"), h, 16, 10);
  }

  private static Operand<TFloat32> padAvgPool(FixtureNet n, Operand<TFloat32> x) {
    Ops z = n.tf.withSubScope("zero_padding2d");
    Operand<TFloat32> h = n.g.<TFloat32>opBuilder("Pad", "zero_padding2d/Pad", z.scope())
        .addInput(x.asOutput()).addInput(z.constant(new int[][] {{0, 0}, {1, 1}, {1, 1},
            {0, 0}}).asOutput()).build().output(0);
    Ops c1 = n.tf.withSubScope("conv1");
    h = c1.nn.relu(c1.nn.biasAdd(n.conv(c1, h, 3, 1, 8, 2, "VALID"),
        n.vector(c1, "bias", 8, -0.1f, 0.1f)));
    h = n.tf.withSubScope("avg1").nn.avgPool(h, List.of(1L, 2L, 2L, 1L), List.of(1L, 2L, 2L, 1L),
        "SAME");
    Ops z2 = n.tf.withSubScope("pad2");
    h = z2.pad(h, z2.constant(new int[][] {{0, 0}, {2, 1}, {0, 1}, {0, 0}}), z2.constant(0f));
    Ops c2 = n.tf.withSubScope("conv2");
    h = c2.nn.relu(c2.nn.biasAdd(n.conv(c2, h, 3, 8, 16, 1, "VALID"),
        n.vector(c2, "bias", 16, -0.1f, 0.1f)));
    h = n.tf.withSubScope("avg2").nn.avgPool(h, List.of(1L, 2L, 2L, 1L), List.of(1L, 2L, 2L, 1L),
        "VALID");
    h = n.tf.withName("gap").math.mean(h, n.tf.constant(new int[] {1, 2}));
    return n.dense(n.tf.withSubScope("logits"), h, 16, 10);
  }

  private static Operand<TFloat32> depthwise(FixtureNet n, Operand<TFloat32> x) {
    Ops c1 = n.tf.withSubScope("expand");
    Operand<TFloat32> h = c1.nn.relu6(n.bn(c1, n.conv(c1, x, 3, 1, 8, 1, "SAME"), 8, false));
    Ops dw = n.tf.withSubScope("depthwise");
    h = dw.nn.relu6(n.bn(dw, dw.nn.depthwiseConv2dNative(h, n.p.he(dw, "depthwise_kernel", 9, 3,
        3, 8, 1), List.of(1L, 2L, 2L, 1L), "SAME"), 8, false));
    Ops pw = n.tf.withSubScope("project");
    h = pw.nn.relu(pw.nn.biasAdd(n.conv(pw, h, 1, 8, 16, 1, "SAME"),
        n.vector(pw, "bias", 16, -0.1f, 0.1f)));
    h = n.tf.withName("gap").math.mean(h, n.tf.constant(new int[] {1, 2}));
    return n.dense(n.tf.withSubScope("logits"), h, 16, 10);
  }

  private static Operand<TFloat32> preActivation(FixtureNet n, Operand<TFloat32> x) {
    Operand<TFloat32> h = stemAndPool(n, x);
    Ops b1 = n.tf.withSubScope("preact1");
    h = n.addV2(b1, h, preActBranch(n, b1, preAct(n, b1, h, 8), 8, 8, 1));
    Ops b2 = n.tf.withSubScope("preact2");
    Operand<TFloat32> pre = preAct(n, b2, h, 8);
    Ops sc = b2.withSubScope("shortcut");
    Operand<TFloat32> shortcut = sc.nn.biasAdd(n.conv(sc, pre, 1, 8, 16, 2, "SAME"),
        n.vector(sc, "bias", 16, -0.1f, 0.1f));
    h = n.addV2(b2, shortcut, preActBranch(n, b2, pre, 8, 16, 2));
    h = n.tf.withName("gap").math.mean(h, n.tf.constant(new int[] {1, 2}));
    return n.dense(n.tf.withSubScope("logits"), h, 16, 10);
  }

  /** relu(bn(x)) on a block's input. */
  static Operand<TFloat32> preAct(FixtureNet n, Ops block, Operand<TFloat32> x, int channels) {
    Ops s = block.withSubScope("preact");
    return s.nn.relu(n.bn(s, x, channels, false));
  }

  /** conv_b(relu(bn(conv_a(x)))), conv_b with a bias and no batch norm (ResNet v2). */
  static Operand<TFloat32> preActBranch(FixtureNet n, Ops block, Operand<TFloat32> x, int in,
      int out, int stride) {
    Ops a = block.withSubScope("conv_a");
    Operand<TFloat32> h = a.nn.relu(n.bn(a, n.conv(a, x, 3, in, out, stride, "SAME"), out,
        false));
    Ops b = block.withSubScope("conv_b");
    return b.nn.biasAdd(n.conv(b, h, 3, out, out, 1, "SAME"), n.vector(b, "bias", out, -0.1f,
        0.1f));
  }

  /** A 3x3 conv stem of 8 filters with batch norm and ReLU, then a 2x2 max pool. */
  static Operand<TFloat32> stemAndPool(FixtureNet n, Operand<TFloat32> x) {
    Ops stem = n.tf.withSubScope("stem");
    Operand<TFloat32> h = stem.nn.relu(n.bn(stem, n.conv(stem, x, 3, 1, 8, 1, "SAME"), 8, false));
    Ops pool = n.tf.withSubScope("pool");
    return pool.nn.maxPool(h, pool.constant(new int[] {1, 2, 2, 1}),
        pool.constant(new int[] {1, 2, 2, 1}), "VALID");
  }
}
