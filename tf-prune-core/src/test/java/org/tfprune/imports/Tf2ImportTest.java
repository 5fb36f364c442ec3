package org.tfprune.imports;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
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
}
