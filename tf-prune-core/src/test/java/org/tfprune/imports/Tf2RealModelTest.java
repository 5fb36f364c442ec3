package org.tfprune.imports;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.types.TFloat32;
import org.tfprune.slice.HostTensor;
import org.tfprune.testing.Mnist;
import org.tfprune.testing.Tf;

/**
 * Reads the real Keras 2 SavedModel written by Python TensorFlow 2.10 (a CNN with batch norm after
 * each ReLU, see /work/shared/models/README.md) when it is present on this machine: the flattened,
 * frozen serving path run in a graph of its own reproduces the original SavedModel's signature
 * output on 1,000 real MNIST test images, and the import with every gate open reproduces it
 * within {@link ModelImporter#TOLERANCE}. The model is not part of the project; without it the
 * tests are skipped.
 */
class Tf2RealModelTest {
  static final Path REAL = Path.of("/work/shared/models/mnist_cnn_bn");
  private static final int COUNT = 1000;

  @BeforeAll
  static void needsTheRealModel() {
    Assumptions.assumeTrue(Files.isRegularFile(REAL.resolve("saved_model.pb")),
        "the real Keras model is not on this machine");
  }

  @Test
  void theFlattenedServingPathReproducesTheOriginalOnRealMnist() {
    float[] x = Mnist.test(COUNT).features(COUNT); // x / 255
    try (SourceModel source = SourceModel.open(REAL, ImportOptions.DEFAULT)) {
      assertThat(source.signature().inputTensor()).isEqualTo("serving_default_conv2d_input:0");
      assertThat(source.signature().outputs()).containsExactly(
          Map.entry("dense_1", "StatefulPartitionedCall:0"));
      assertThat(source.graphDef().getLibrary().getFunctionCount()).isZero();
      assertThat(source.graphDef().getNodeList()).extracting(n -> n.getOp())
          .doesNotContain("StatefulPartitionedCall", "PartitionedCall", "ReadVariableOp",
              "VarHandleOp");
      assertThat(source.graphDef().getNodeList()).filteredOn(n -> n.getOp().equals("Const")
          && n.getAttrOrThrow("dtype").getType() == org.tensorflow.proto.DataType.DT_FLOAT)
          .as("the 22 variables serving reads (of 63 in the bundle), one read each")
          .hasSize(22);
      HostTensor original = source.outputs(x, COUNT).get("dense_1");
      float[] flat;
      try (Graph g = new Graph()) {
        g.importGraphDef(source.graphDef());
        try (Session s = new Session(g);
            TFloat32 xt = Tf.tensor(x, COUNT, 28, 28, 1);
            Result r = s.runner().feed("serving_default_conv2d_input:0", xt)
                .fetch("StatefulPartitionedCall:0").run()) {
          flat = Tf.values(r.get(0));
        }
      }
      double max = new HostTensor(new long[] {COUNT, 10}, flat).maxAbsDiff(original);
      System.out.printf("real model: flattened serving path vs original over %d images: max "
          + "|diff| %.3g%n", COUNT, max);
      assertThat(max).isLessThanOrEqualTo(1e-6);
    }
  }

  @Test
  void theRealModelImportedWithEveryGateOpenReproducesTheOriginal() {
    float[] x = Mnist.test(COUNT).features(COUNT);
    ImportedModel m = ModelImporter.load(REAL, ImportOptions.DEFAULT, x, COUNT);
    System.out.printf("real model: import check max |diff| %.3g over %d images%n",
        m.check().maxAbsDiff(), COUNT);
    assertThat(m.check().examples()).isEqualTo(COUNT);
    assertThat(m.check().maxAbsDiff()).isLessThanOrEqualTo(ModelImporter.TOLERANCE);
  }
}
