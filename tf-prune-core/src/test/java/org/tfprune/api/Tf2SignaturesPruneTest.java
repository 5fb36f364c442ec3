package org.tfprune.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Signature;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.types.TFloat32;
import org.tfprune.export.CompactExporter;
import org.tfprune.export.ServingContract;
import org.tfprune.loss.PruningKnobs;
import org.tfprune.slice.HostTensor;
import org.tfprune.testing.ArrayData;
import org.tfprune.testing.Mnist;
import org.tfprune.testing.Tf;
import org.tfprune.testing.tf2.Tf2Fixtures;
import org.tfprune.testing.tf2.Tf2Fixtures.Form;
import org.tfprune.testing.tf2.Tf2Fixtures.Net;
import org.tfprune.train.OptimizerSpec;
import org.tfprune.train.TrainerConfig;

/**
 * A SavedModel with two signatures as Keras 3 {@code model.export} writes it ({@code serve} and
 * {@code serving_default}, each through its own wrapper function into the same model function
 * and variables) keeps both after pruning: the two serving paths are merged into one network,
 * pruned once, and the export serves it under both keys with the original input and output keys,
 * dtypes and shapes; what each signature returns equals the gated network's output within the
 * bound of the export check.
 */
class Tf2SignaturesPruneTest {
  private static final int COUNT = 1000;

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(ints = {1, 2, 3})
  void bothKeras3SignaturesArePrunedOnceAndServedUnderTheirKeys(int seed, @TempDir Path tmp)
      throws Exception {
    Path in = Tf2Fixtures.get(Net.MLP, Form.KERAS3);
    Path out = tmp.resolve("pruned");
    ArrayData train = Mnist.train(3000);
    ArrayData test = Mnist.test(COUNT);
    TrainerConfig config = TrainerConfig.builder().knobs(new PruningKnobs(8, 0.5, 0.5))
        .epochs(3).finetuneEpochs(1).batchSize(100).optimizer(OptimizerSpec.adam(1e-3, 1e-5))
        .seed(seed).build();
    MetaGraphDef source = SavedModel.parseFrom(Files.readAllBytes(in.resolve("saved_model.pb")))
        .getMetaGraphs(0);
    float[] x = test.features(COUNT);
    try (PrunedModel pruned = TfPrune.wrap(in).withConfig(config).prune(train, test)) {
      ServingContract contract = pruned.imported().signature().contract();
      assertThat(contract.signatures()).extracting(ServingContract.Signature::key)
          .containsExactly("serving_default", "serve");
      assertThat(pruned.imported().notes()).anyMatch(n -> n.startsWith("signature 'serve' runs "
          + "the network of signature 'serving_default'"));
      assertThat(pruned.imported().check().maxAbsDiffByOutput()).containsKeys("output_0",
          "serve/output_0");
      assertThat(pruned.imported().check().maxAbsDiff()).isLessThanOrEqualTo(1e-6);
      System.out.printf("seed %d: %s -> %s, MACs %.1f%%, export max |diff| %.3g%n", seed,
          pruned.imported().spec().widthString(), pruned.model().spec().widthString(),
          100 * pruned.macsRatio(), pruned.maxAbsDiff());
      assertThat(pruned.compactComplexity().macs()).as("structures removed")
          .isLessThan(pruned.denseComplexity().macs());
      pruned.export(out);

      // the gated network's probabilities on the examples the export check used
      HostTensor logits = CompactExporter.gatedLogits(pruned.training().spec(),
          pruned.training().parameters(), x, COUNT);
      float[] gated = softmax(logits.values(), 10);
      float[] first = null;
      try (SavedModelBundle b = SavedModelBundle.load(out.toString(), "serve");
          TFloat32 xt = Tf.tensor(x, COUNT, 784)) {
        MetaGraphDef pruned2 = SavedModel.parseFrom(Files.readAllBytes(
            out.resolve("saved_model.pb"))).getMetaGraphs(0);
        assertThat(pruned2.getSignatureDefMap().keySet()).containsExactlyInAnyOrder(
            "serving_default", "serve");
        assertThat(pruned2.getGraphDef().getLibrary().getFunctionCount()).isZero();
        for (String key : List.of("serve", "serving_default")) {
          SignatureDef before = source.getSignatureDefOrThrow(key);
          Signature after = b.function(key).signature();
          assertSameKeysTypesAndShapes(before.getInputsMap(), after.getInputs(), key);
          assertSameKeysTypesAndShapes(before.getOutputsMap(), after.getOutputs(), key);
          String inputKey = before.getInputsMap().keySet().iterator().next();
          String outputKey = before.getOutputsMap().keySet().iterator().next();
          try (Result r = b.function(key).call(Map.of(inputKey, xt))) {
            float[] served = Tf.values(r.get(outputKey).orElseThrow());
            // softmax moves no probability by more than half the largest logit difference
            assertThat(maxAbsDiff(served, gated)).as(key)
                .isLessThanOrEqualTo(pruned.maxAbsDiff() + 1e-6);
            if (first == null) {
              first = served;
            } else {
              assertThat(served).as("both signatures run the one network").isEqualTo(first);
            }
          }
        }
      }
    }
  }

  private static void assertSameKeysTypesAndShapes(Map<String, TensorInfo> before,
      Map<String, Signature.TensorDescription> after, String key) {
    assertThat(after.keySet()).as(key).isEqualTo(before.keySet());
    before.forEach((k, info) -> {
      Signature.TensorDescription d = after.get(k);
      assertThat(d.dataType).as(key + "/" + k).isEqualTo(info.getDtype());
      long[] dims = info.getTensorShape().getDimList().stream().mapToLong(
          org.tensorflow.proto.TensorShapeProto.Dim::getSize).toArray();
      assertThat(d.shape.asArray()).as(key + "/" + k).containsExactly(dims);
    });
  }

  private static float[] softmax(float[] logits, int classes) {
    float[] p = new float[logits.length];
    for (int i = 0; i < logits.length; i += classes) {
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < classes; k++) {
        max = Math.max(max, logits[i + k]);
      }
      double sum = 0;
      for (int k = 0; k < classes; k++) {
        sum += Math.exp(logits[i + k] - max);
      }
      for (int k = 0; k < classes; k++) {
        p[i + k] = (float) (Math.exp(logits[i + k] - max) / sum);
      }
    }
    return p;
  }

  private static double maxAbsDiff(float[] a, float[] b) {
    assertThat(a).hasSameSizeAs(b);
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }
}
