package org.tfprune.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.SavedModelBundle;
import org.tfprune.testing.tf2.Tf2Fixtures;
import org.tfprune.testing.tf2.Tf2Fixtures.Damage;
import org.tfprune.testing.tf2.Tf2Fixtures.Form;
import org.tfprune.testing.tf2.Tf2Fixtures.Net;

/**
 * The loader behind {@code evaluate} loads SavedModels written the way Python TF2 writes them, and
 * answers a damaged one with an {@link ExportException} instead of a crash in native code.
 */
class SavedModelLoaderTf2Test {
  @Test
  void aTf2SavedModelLoadsWithItsSignature() {
    try (SavedModelBundle b = SavedModelLoader.load(Tf2Fixtures.get(Net.MLP, Form.KERAS2))) {
      assertThat(b.function("serving_default").signature().getInputs())
          .containsOnlyKeys("dense_input");
    }
  }

  @Test
  void theRealKerasModelPassesTheChecksAndLoads() {
    Path real = Path.of("/work/shared/models/mnist_cnn_bn");
    Assumptions.assumeTrue(Files.isRegularFile(real.resolve("saved_model.pb")),
        "the real Keras model is not on this machine");
    try (SavedModelBundle b = SavedModelLoader.load(real)) {
      assertThat(b.function("serving_default").signature().getInputs())
          .containsOnlyKeys("conv2d_input");
    }
  }

  @Test
  void eachDamagedTf2SavedModelIsAnExportException(@TempDir Path tmp) {
    for (Damage d : Damage.values()) {
      Path dir = Tf2Fixtures.damaged(tmp.resolve(d.name()), d);
      assertThatThrownBy(() -> SavedModelLoader.load(dir).close()).as(d.name())
          .isInstanceOf(ExportException.class);
    }
  }
}
