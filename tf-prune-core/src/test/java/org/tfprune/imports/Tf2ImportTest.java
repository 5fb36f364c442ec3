package org.tfprune.imports;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tfprune.export.ServingContract;
import org.tfprune.export.ServingSignature;
import org.tfprune.testing.Mnist;
import org.tfprune.testing.tf2.Tf2Fixtures;
import org.tfprune.testing.tf2.Tf2Fixtures.Form;
import org.tfprune.testing.tf2.Tf2Fixtures.Net;

/**
 * Imports SavedModels written the way Python TF2 / Keras writes them ({@link Tf2Fixtures}): the
 * serving functions are inlined, the captured resource variables frozen from TensorFlow's own
 * restore, and the imported network with every gate open reproduces the original SavedModel's
 * signature output on real MNIST test images within {@link ModelImporter#TOLERANCE}.
 */
class Tf2ImportTest {
  private static final int COUNT = 1000;

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
      "MLP, KERAS2, 784-32-16-10, serving_default, StatefulPartitionedCall:0",
      "MLP, KERAS2_NESTED, 784-32-16-10, serving_default, StatefulPartitionedCall:0",
      "MLP, KERAS3, 784-32-16-10, serving_default, StatefulPartitionedCall_1:0",
      "MLP, TF1_RESOURCE, 784-32-16-10, serving_default, dense_2/Softmax:0",
      "CONV, KERAS2, 784-4-8-10, serving_default, StatefulPartitionedCall:0",
      "CONV, KERAS2_NESTED, 784-4-8-10, serving_default, StatefulPartitionedCall:0",
      "CONV, TF1_RESOURCE, 784-4-8-10, serving_default, dense/Softmax:0"})
  void eachFormImportsAndReproducesTheOriginalWithEveryGateOpen(Net net, Form form,
      String widths, String key, String output) {
    Path dir = Tf2Fixtures.get(net, form);
    float[] x = Mnist.test(COUNT).features(COUNT);
    ImportedModel m = ModelImporter.load(dir, ImportOptions.DEFAULT, x, COUNT);
    System.out.printf("%s %s: import check max |diff| %.3g over %d MNIST test images%n", net,
        form, m.check().maxAbsDiff(), COUNT);
    assertThat(m.check().examples()).isEqualTo(COUNT);
    assertThat(m.check().maxAbsDiff()).isLessThanOrEqualTo(ModelImporter.TOLERANCE);
    assertThat(m.spec().widthString()).isEqualTo(widths);
    ServingSignature sig = m.signature();
    assertThat(sig.key()).isEqualTo(key);
    assertThat(sig.inputKey()).isEqualTo(Tf2Fixtures.inputKey(net, form));
    assertThat(sig.outputs()).extracting(ServingSignature.Output::key,
        ServingSignature.Output::tensor)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(Tf2Fixtures.outputKey(net, form),
            output));
  }

  @Test
  void bothKeras3SignaturesReadOneNetworkAndEachIsCheckedAgainstTheOriginal() {
    float[] x = Mnist.test(200).features(200);
    ImportedModel m = ModelImporter.load(Tf2Fixtures.get(Net.MLP, Form.KERAS3),
        ImportOptions.DEFAULT, x, 200);
    ServingContract c = m.signature().contract();
    assertThat(c.signatures()).extracting(ServingContract.Signature::key)
        .containsExactly("serving_default", "serve");
    // serve is fed where serving_default is; its output keeps its key and tensor name
    assertThat(c.signature("serve").inputs()).isEqualTo(Map.of("keras_tensor",
        "serving_default_keras_tensor:0"));
    assertThat(c.signature("serve").outputs()).isEqualTo(Map.of("output_0",
        "StatefulPartitionedCall:0"));
    assertThat(m.spec().widthString()).as("one network").isEqualTo("784-32-16-10");
    assertThat(m.check().maxAbsDiffByOutput()).containsOnlyKeys("output_0", "serve/output_0");
    assertThat(m.check().maxAbsDiff()).isLessThanOrEqualTo(ModelImporter.TOLERANCE);
    assertThat(m.notes()).contains("signature 'serve' runs the network of signature "
        + "'serving_default': its input 'keras_tensor' is fed at serving_default_keras_tensor:0 "
        + "(was serve_keras_tensor:0) and the network is pruned once for both");
  }

  @Test
  void importedThroughServeTheOtherKeras3SignatureIsFedAtServesInput() {
    float[] x = Mnist.test(200).features(200);
    ImportedModel m = ModelImporter.load(Tf2Fixtures.get(Net.MLP, Form.KERAS3),
        ImportOptions.DEFAULT.withSignatureKey("serve"), x, 200);
    ServingContract c = m.signature().contract();
    assertThat(c.signatures()).extracting(ServingContract.Signature::key)
        .containsExactly("serve", "serving_default");
    assertThat(m.signature().inputTensor()).isEqualTo("serve_keras_tensor:0");
    assertThat(c.signature("serving_default").inputs()).isEqualTo(Map.of("keras_tensor",
        "serve_keras_tensor:0"));
    assertThat(c.signature("serving_default").outputs()).isEqualTo(Map.of("output_0",
        "StatefulPartitionedCall_1:0"));
    assertThat(m.check().maxAbsDiffByOutput()).containsOnlyKeys("output_0",
        "serving_default/output_0");
    assertThat(m.check().maxAbsDiff()).isLessThanOrEqualTo(ModelImporter.TOLERANCE);
  }

  @Test
  void aSignatureThatRunsOtherWeightsIsLeftOutWithANote(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("keras3");
    Tf2Fixtures.write(dir, Net.MLP, Form.KERAS3, 1234);
    // serve's call captures the other handle of each weight (zeros): another network
    ImportErrorsTest.rewrite(dir, meta -> {
      GraphDef.Builder g = meta.getGraphDef().toBuilder();
      List<String> handles = new ArrayList<>();
      g.getNodeList().stream().filter(n -> n.getOp().equals("VarHandleOp"))
          .forEach(n -> handles.add(n.getName()));
      for (int i = 0; i < g.getNodeCount(); i++) {
        NodeDef n = g.getNode(i);
        if (n.getName().equals("StatefulPartitionedCall")) {
          NodeDef.Builder b = n.toBuilder().clearInput();
          n.getInputList().forEach(in -> b.addInput(in.startsWith("Variable_")
              ? handles.get(handles.indexOf(in) - 1) : in));
          g.setNode(i, b);
        }
      }
      return meta.toBuilder().setGraphDef(g).build();
    });
    float[] x = Mnist.test(200).features(200);
    ImportedModel m = ModelImporter.load(dir, ImportOptions.DEFAULT, x, 200);
    m.notes().forEach(n -> System.out.println("note: " + n));
    assertThat(m.signature().contract().signatures()).extracting(
        ServingContract.Signature::key).containsExactly("serving_default");
    assertThat(m.notes()).anyMatch(n -> n.startsWith("signature 'serve' is not exported: it "
        + "computes its outputs through MatMul ") && n.contains("Prune it on its own with "
        + "--signature serve"));
    assertThat(m.notes()).noneMatch(n -> n.contains("runs the network of"));
    assertThat(m.check().maxAbsDiff()).isLessThanOrEqualTo(ModelImporter.TOLERANCE);
  }
}
