package org.tfprune.imports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tfprune.imports.FrozenGraphs.dense;
import static org.tfprune.imports.FrozenGraphs.weights;

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
import org.tensorflow.op.nn.Conv2d;
import org.tensorflow.op.nn.FusedBatchNorm;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tfprune.testing.ForeignModels;

/**
 * Graphs the importer cannot map, one per refusal: each is refused with an {@link
 * ImportException} whose message names the node or file, the problem and what tf-prune needs.
 * Most are frozen GraphDefs built here with constant weights.
 */
class ImportRefusalsTest {
  @TempDir Path tmp;

  private static void refused(Path p, String... parts) {
    var a = assertThatThrownBy(() -> ModelImporter.load(p, ImportOptions.DEFAULT))
        .isInstanceOf(ImportException.class);
    for (String part : parts) {
      a.hasMessageContaining(part);
    }
  }

  private Path frozen(String name, long[] shape,
      BiFunction<Ops, Placeholder<TFloat32>, Operand<?>> body) throws IOException {
    return FrozenGraphs.write(tmp, name, shape, body);
  }


  private static Operand<TFloat32> filter(Ops tf, int kh, int kw, int in, int out) {
    float[][][][] f = new float[kh][kw][in][out];
    for (float[][][] a : f) {
      for (float[][] b : a) {
        for (float[] c : b) {
          java.util.Arrays.fill(c, 0.1f);
        }
      }
    }
    return tf.constant(f);
  }

  @Test
  void aFrozenGraphWithTwoPlaceholdersIsRefused() throws IOException {
    Path f = frozen("two", new long[] {-1, 4}, (tf, x) -> {
      Placeholder<TFloat32> rate = tf.withName("rate").placeholder(TFloat32.class);
      return tf.math.mul(dense(tf, x, 4, 3), rate);
    });
    refused(f, "2 placeholders", "x", "rate", "exactly one input placeholder");
  }

  @Test
  void aFrozenGraphWithVariablesIsRefused() throws IOException {
    Path f = frozen("vars", new long[] {-1, 4}, (tf, x) ->
        tf.linalg.matMul(x, tf.withName("w").variable(Shape.of(4, 3), TFloat32.class)));
    refused(f, "holds variables [w]", "no checkpoint", "freeze the graph");
  }

  @Test
  void anIntegerInputCastToFloatIsKeptAsAFixedPrefix() throws IOException {
    Path f;
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TInt32> x = tf.withName("x").placeholder(TInt32.class,
          Placeholder.shape(Shape.of(-1, 4)));
      tf.nn.biasAdd(tf.linalg.matMul(tf.dtypes.cast(x, TFloat32.class), weights(tf, 4, 3)),
          tf.constant(new float[3]));
      f = tmp.resolve("int.pb");
      Files.write(f, g.toGraphDef().toByteArray());
    }
    ImportedModel m = ModelImporter.load(f, ImportOptions.DEFAULT);
    assertThat(m.spec().widthString()).isEqualTo("4-3");
    assertThat(m.signature().contract().networkInput()).isEqualTo("Cast:0");
    assertThat(m.signature().contract().kept()).containsKeys("x", "Cast");
  }

  @Test
  void anInputWithUnknownFeatureDimensionsIsRefused() throws IOException {
    Path f = frozen("unknown", new long[] {-1, -1}, (tf, x) -> dense(tf, x, 4, 3));
    refused(f, "input placeholder x", "[-1, -1]", "every dimension but the batch known");
  }

  @Test
  void anOutputComputedFromTheLogitsIsKeptAsAFixedSuffix() throws IOException {
    Path f = frozen("extra", new long[] {-1, 4}, (tf, x) -> {
      Operand<TFloat32> logits = dense(tf, x, 4, 3);
      tf.withName("probs").nn.softmax(logits);
      return tf.withName("doubled").math.mul(logits, tf.constant(2f));
    });
    ImportedModel m = ModelImporter.load(f, ImportOptions.DEFAULT);
    assertThat(m.signature().outputs()).extracting(o -> o.key() + "=" + o.kind())
        .containsExactlyInAnyOrder("doubled=DERIVED", "probs=PROBABILITIES");
    assertThat(m.signature().contract().after().getNodeList()).extracting(n -> n.getName())
        .contains("doubled", "probs");
  }

  @Test
  void outputsThatDoNotDependOnTheInputAreRefused() throws IOException {
    Path f = frozen("const", new long[] {-1, 4}, (tf, x) -> dense(tf,
        tf.reshape(weights(tf, 2, 2), tf.constant(new int[] {-1, 4})), 4, 3));
    refused(f, "ends at Const", "instead of the input x", "do not depend on its input");
  }

  @Test
  void aMatMulWithTheWeightOnTheLeftIsRefused() throws IOException {
    Path f = frozen("left", new long[] {-1, 4}, (tf, x) -> dense(tf, weights(tf, 1, 4), 4, 3));
    refused(f, "does not multiply the activations by a weight matrix from the right (x W)");
  }

  @Test
  void aLayerReadingAnAdditionOfWeightsIsRefused() throws IOException {
    Path f = frozen("fixed", new long[] {-1, 4}, (tf, x) ->
        dense(tf, tf.withName("fixed").math.add(weights(tf, 1, 4), tf.constant(1f)), 4, 3));
    refused(f, "does not multiply the activations by a weight matrix from the right (x W)");
  }

  @Test
  void aConvolutionWithAComputedFilterIsRefused() throws IOException {
    Path f = frozen("cfilter", new long[] {-1, 6, 6, 1}, (tf, x) -> {
      Operand<TFloat32> h = tf.withName("conv").nn.conv2d(x, tf.nn.relu(filter(tf, 3, 3, 1, 2)),
          List.of(1L, 1L, 1L, 1L), "VALID");
      return dense(tf, tf.reshape(h, tf.constant(new int[] {-1, 32})), 32, 3);
    });
    refused(f, "conv", "convolves with a computed filter");
  }

  @Test
  void aConvolutionInNchwIsRefused() throws IOException {
    Path f = frozen("nchw", new long[] {-1, 1, 6, 6}, (tf, x) -> {
      Operand<TFloat32> h = tf.nn.biasAdd(tf.withName("conv").nn.conv2d(x,
          filter(tf, 3, 3, 1, 2), List.of(1L, 1L, 1L, 1L), "VALID",
          Conv2d.dataFormat("NCHW")), tf.constant(new float[2]),
          org.tensorflow.op.nn.BiasAdd.dataFormat("NCHW"));
      return dense(tf, tf.reshape(tf.nn.relu(h), tf.constant(new int[] {-1, 32})), 32, 3);
    });
    refused(f, "NCHW", "NHWC");
  }

  @Test
  void batchNormInTrainingModeIsRefused() throws IOException {
    Path f = frozen("bntrain", new long[] {-1, 6, 6, 1}, (tf, x) -> {
      Operand<TFloat32> c = tf.nn.conv2d(x, filter(tf, 3, 3, 1, 2), List.of(1L, 1L, 1L, 1L),
          "VALID");
      Operand<TFloat32> ones = tf.constant(new float[] {1, 1});
      Operand<TFloat32> zeros = tf.constant(new float[] {0, 0});
      Operand<TFloat32> h = tf.withName("bn").nn.fusedBatchNorm(c, ones, zeros,
          tf.constant(new float[0]), tf.constant(new float[0]),
          FusedBatchNorm.isTraining(true)).y();
      return dense(tf, tf.reshape(tf.nn.relu(h), tf.constant(new int[] {-1, 32})), 32, 3);
    });
    refused(f, "bn", "training mode", "is_training = false");
  }

  @Test
  void aMeanOverOtherAxesIsRefused() throws IOException {
    Path f = frozen("mean", new long[] {-1, 6, 6, 2}, (tf, x) ->
        dense(tf, tf.reshape(tf.withName("avg").math.mean(x, tf.constant(new int[] {3})),
            tf.constant(new int[] {-1, 36})), 36, 3));
    // kept fixed, but a region's output must be [batch, features] or an image
    refused(f, "Mean avg", "outputs a tensor of shape [-1, 6, 6]", "[batch, features]");
  }

  @Test
  void aNetworkThatDoesNotEndInADenseLayerIsRefused() throws IOException {
    Path f = frozen("convout", new long[] {-1, 6, 6, 1}, (tf, x) -> tf.nn.relu(tf.nn.biasAdd(
        tf.nn.conv2d(x, filter(tf, 3, 3, 1, 2), List.of(1L, 1L, 1L, 1L), "VALID"),
        tf.constant(new float[2]))));
    refused(f, "does not fit tf-prune", "ends in a dense layer");
  }

  @Test
  void aReshapeThatDoesNotFlattenIsRefused() throws IOException {
    Path f = frozen("reshape", new long[] {-1, 6, 6, 1}, (tf, x) -> dense(tf,
        tf.withName("fold").reshape(x, tf.constant(new int[] {-1, 18})), 18, 3));
    refused(f, "fold", "reshapes a", "tensor to [-1, 18]", "flatten");
  }

  @Test
  void emptyGraphsAndTheTextFormatAreNamed() throws IOException {
    Path empty = Files.write(tmp.resolve("empty.pb"), new byte[0]);
    refused(empty, "empty.pb", "holds no graph nodes", "a SavedModel is a directory");
    Path text = Files.createDirectories(tmp.resolve("text"));
    Files.writeString(text.resolve("saved_model.pbtxt"), "meta_graphs {}");
    refused(text, "holds no saved_model.pb", "saved_model.pbtxt, the text format",
        "write the binary saved_model.pb");
    Path noNodes = ForeignModels.copy(ForeignModels.mlp(), tmp.resolve("nonodes"));
    ImportErrorsTest.rewrite(noNodes, m -> m.toBuilder().setGraphDef(m.getGraphDef()
        .toBuilder().clearNode()).build());
    refused(noNodes, "holds an empty graph", "export the SavedModel again");
  }

  @Test
  void signatureProblemsOfASavedModelAreNamed() throws IOException {
    SignatureDef sig = ForeignModelsSignature.of();
    TensorInfo in = sig.getInputsOrThrow(ForeignModels.MLP_INPUT_KEY);
    Path twoInputs = ForeignModels.copy(ForeignModels.mlp(), tmp.resolve("a"));
    ImportErrorsTest.rewrite(twoInputs, m -> m.toBuilder().putSignatureDef(
        ForeignModels.MLP_SIGNATURE, sig.toBuilder().putInputs("more", in).build()).build());
    refused(twoInputs, "has 2 inputs", "cannot tell which one feeds the network",
        "one input tensor");
    Path noOutputs = ForeignModels.copy(ForeignModels.mlp(), tmp.resolve("b"));
    ImportErrorsTest.rewrite(noOutputs, m -> m.toBuilder().putSignatureDef(
        ForeignModels.MLP_SIGNATURE, sig.toBuilder().clearOutputs().build()).build());
    refused(noOutputs, "signature 'classify'", "has no outputs");
    Path none = ForeignModels.copy(ForeignModels.mlp(), tmp.resolve("c"));
    ImportErrorsTest.rewrite(none, m -> m.toBuilder().clearSignatureDef().build());
    refused(none, "has no serving signature", "withSignature");
    Path several = ForeignModels.copy(ForeignModels.mlp(), tmp.resolve("d"));
    ImportErrorsTest.rewrite(several, m -> m.toBuilder().putSignatureDef("other", sig).build());
    refused(several, "several signatures [classify, other]", "none is serving_default",
        "--signature");
    Path unnamed = ForeignModels.copy(ForeignModels.mlp(), tmp.resolve("e"));
    ImportErrorsTest.rewrite(unnamed, m -> m.toBuilder().putSignatureDef(
        ForeignModels.MLP_SIGNATURE, sig.toBuilder().putOutputs(ForeignModels.MLP_SCORES,
            sig.getOutputsOrThrow(ForeignModels.MLP_SCORES).toBuilder().setCooSparse(
                TensorInfo.CooSparse.newBuilder().setValuesTensorName("scores:0")).build())
            .build()).build());
    refused(unnamed, "a tensor without a name", "dense named tensors");
    Path notPlaceholder = ForeignModels.copy(ForeignModels.mlp(), tmp.resolve("f"));
    ImportErrorsTest.rewrite(notPlaceholder, m -> m.toBuilder().putSignatureDef(
        ForeignModels.MLP_SIGNATURE, sig.toBuilder().putInputs(ForeignModels.MLP_INPUT_KEY,
            in.toBuilder().setName("dense_1/MatMul:0").setTensorShape(
                org.tensorflow.proto.TensorShapeProto.newBuilder()
                    .addDim(org.tensorflow.proto.TensorShapeProto.Dim.newBuilder().setSize(-1))
                    .addDim(org.tensorflow.proto.TensorShapeProto.Dim.newBuilder().setSize(300)))
                .build()).build())
        .build());
    refused(notPlaceholder, "dense_1/MatMul", "is a MatMul, not a Placeholder");
  }

  /** The MLP fixture's signature as written. */
  private static final class ForeignModelsSignature {
    static SignatureDef of() throws IOException {
      return org.tensorflow.proto.SavedModel.parseFrom(Files.readAllBytes(
          ForeignModels.mlp().resolve("saved_model.pb"))).getMetaGraphs(0)
          .getSignatureDefOrThrow(ForeignModels.MLP_SIGNATURE);
    }
  }
}
