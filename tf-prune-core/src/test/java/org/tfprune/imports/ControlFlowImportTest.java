package org.tfprune.imports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tfprune.slice.HostTensor;
import org.tfprune.testing.ControlFlowModels.Predicate;
import org.tfprune.testing.ControlFlowModels;
import org.tfprune.testing.KeepEverythingExport;
import org.tfprune.testing.Mnist;

/**
 * TF1 models with an {@code is_training} switch inside the network ({@code Switch}/{@code
 * Merge} around batch norm and dropout): the control flow is folded on the predicate's serving
 * value, the import is exact, and the export equals the original for every signature and
 * output; a predicate computed from the data is refused naming the Switch.
 */
class ControlFlowImportTest {
  private static final int COUNT = 200;

  @TempDir Path tmp;

  @Test
  void anIsTrainingDefaultOfFalseIsFoldedAndTheExportEqualsTheOriginal() {
    Path src = tmp.resolve("bn-cond");
    ControlFlowModels.write(src, Predicate.DEFAULT_FALSE);
    float[] x = Mnist.test(COUNT).features(COUNT);
    ImportedModel m = ModelImporter.load(src, ImportOptions.DEFAULT, x, COUNT);
    assertThat(m.check().maxAbsDiff()).isLessThanOrEqualTo(1e-6);
    assertThat(m.check().maxAbsDiffByOutput()).containsKeys(ControlFlowModels.PROBS,
        ControlFlowModels.CLASSES);
    assertThat(m.notes()).anyMatch(n -> n.contains("predicate is_training = false")
        && n.contains("12 Switch") && n.contains("2 Merge"));
    assertThat(m.notes()).contains("training-only placeholders fed {is_training=false} (--feed, "
        + "or their defaults)");
    assertThat(m.spec().widthString()).isEqualTo("784-8-10");
    Path out = exportKeepingEverything(m, x);
    assertEqualsOriginal(src, out, x);
  }

  @Test
  void aPlainIsTrainingPlaceholderIsFoldedOnItsFedValueAndNamedWithoutOne() {
    Path src = tmp.resolve("bn-placeholder");
    ControlFlowModels.write(src, Predicate.PLACEHOLDER);
    float[] x = Mnist.test(COUNT).features(COUNT);
    assertThatThrownBy(() -> ModelImporter.load(src, ImportOptions.DEFAULT, x, COUNT))
        .isInstanceOf(ImportException.class).hasMessageContaining("Switch '")
        .hasMessageContaining("placeholder 'is_training'")
        .hasMessageContaining("--feed is_training=false");
    ImportedModel m = ModelImporter.load(src, ImportOptions.DEFAULT.withFeeds(
        Map.of("is_training", 0f)), x, COUNT);
    assertThat(m.check().maxAbsDiff()).isLessThanOrEqualTo(1e-6);
    assertThat(m.notes()).anyMatch(n -> n.contains("predicate is_training = false"));
  }

  @Test
  void aPredicateComputedFromTheDataIsRefusedNamingTheSwitchAndNothingIsWritten() {
    Path src = tmp.resolve("bn-data");
    ControlFlowModels.write(src, Predicate.FROM_DATA);
    float[] x = Mnist.test(COUNT).features(COUNT);
    Path out = tmp.resolve("never");
    assertThatThrownBy(() -> {
      ImportedModel m = ModelImporter.load(src, ImportOptions.DEFAULT, x, COUNT);
      exportKeepingEverything(m, x, out);
    }).isInstanceOf(ImportException.class)
        .hasMessageMatching("(?s)Switch 'conv1/batch_normalization/cond/Switch_\\d+' on the "
            + "serving path .*")
        .hasMessageContaining("Greater is_training")
        .hasMessageContaining("computed from the data")
        .hasMessageContaining("training=False");
    assertThat(Files.exists(out)).isFalse();
  }

  private Path exportKeepingEverything(ImportedModel m, float[] x) {
    Path out = tmp.resolve("exported");
    exportKeepingEverything(m, x, out);
    return out;
  }

  /** Exports with every gate open and every unit kept. */
  private static void exportKeepingEverything(ImportedModel m, float[] x, Path out) {
    KeepEverythingExport.save(m, x, COUNT, out);
  }


  /** Every signature and output key of the export equals the original's on {@code x}. */
  private static void assertEqualsOriginal(Path src, Path out, float[] x) {
    try (SavedModelBundle a = SavedModelBundle.load(src.toString(), "serve");
        SavedModelBundle b = SavedModelBundle.load(out.toString(), "serve");
        TFloat32 xt = TFloat32.tensorOf(Shape.of(COUNT, 28, 28, 1),
            DataBuffers.of(x, true, false))) {
      assertThat(keys(b)).isEqualTo(keys(a));
      try (Result ra = a.function("serving_default").call(Map.of(ControlFlowModels.INPUT_KEY,
          xt));
          Result rb = b.function("serving_default").call(Map.of(ControlFlowModels.INPUT_KEY,
              xt));
          Result la = a.function(ControlFlowModels.LOGITS_SIGNATURE).call(Map.of(
              ControlFlowModels.INPUT_KEY, xt));
          Result lb = b.function(ControlFlowModels.LOGITS_SIGNATURE).call(Map.of(
              ControlFlowModels.INPUT_KEY, xt))) {
        float[] logits = floats(la, ControlFlowModels.LOGITS);
        assertClose(floats(lb, ControlFlowModels.LOGITS), logits, 1e-4);
        assertClose(floats(rb, ControlFlowModels.PROBS), floats(ra, ControlFlowModels.PROBS),
            1e-5);
        TInt64 ca = (TInt64) ra.get(ControlFlowModels.CLASSES).orElseThrow();
        TInt64 cb = (TInt64) rb.get(ControlFlowModels.CLASSES).orElseThrow();
        int compared = 0;
        for (int r = 0; r < COUNT; r++) {
          if (margin(logits, r) > 1e-3) { // ties within rounding may break either way
            assertThat(cb.getLong(r)).as("class of example %d", r).isEqualTo(ca.getLong(r));
            compared++;
          }
        }
        assertThat(compared).isGreaterThan(COUNT / 2);
      }
    }
  }

  private static Map<String, String> keys(SavedModelBundle b) {
    return b.signatures().stream().collect(Collectors.toMap(s -> s.key(),
        s -> s.getInputs().keySet() + " -> " + new java.util.TreeSet<>(s.getOutputs().keySet())));
  }

  private static float[] floats(Result r, String key) {
    return HostTensor.of((TFloat32) r.get(key).orElseThrow()).values();
  }

  private static void assertClose(float[] actual, float[] expected, double tolerance) {
    assertThat(actual).hasSameSizeAs(expected);
    for (int i = 0; i < expected.length; i++) {
      assertThat((double) actual[i]).as("value %d", i).isCloseTo(expected[i],
          within(tolerance));
    }
  }

  private static double margin(float[] logits, int row) {
    double best = Double.NEGATIVE_INFINITY;
    double second = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < 10; c++) {
      double v = logits[row * 10 + c];
      if (v > best) {
        second = best;
        best = v;
      } else if (v > second) {
        second = v;
      }
    }
    return best - second;
  }
}
