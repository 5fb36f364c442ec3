package org.tfprune.imports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tfprune.export.CompactExporter;
import org.tfprune.export.ServingSignature;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.testing.HandGates;
import org.tfprune.testing.ArrayData;
import org.tfprune.testing.ContractModels;
import org.tfprune.testing.Mnist;

/**
 * Models whose serving contract is more than one signature with logits and probabilities: every
 * signature and output is kept, the fixed prefix and suffix are copied unchanged, the import is
 * exact and the pruned export, called by signature key, equals the gated network.
 */
class ServingContractTest {
  private static final int COUNT = 200;

  @TempDir Path tmp;

  /** Prunes every third unit of every gate group (gates as theta 0 / 1) and exports. */
  private Path pruneAndSave(ImportedModel m, float[] networkInput, String name,
      Map<String, float[]> gatedLogitsOut) {
    HandGates gates = HandGates.everyThirdClosed(m.spec(), m.parameters());
    ParameterSet params = gates.parameters();
    gatedLogitsOut.put("logits", CompactExporter.gatedLogits(m.spec(), params, networkInput,
        COUNT).values());
    Path dir = tmp.resolve(name);
    try (CompactExporter.VerifiedModel v = CompactExporter.compact(m.spec(), params,
        gates.keep(), networkInput, COUNT, m.signature(),
        org.tfprune.export.ExportSettings.DEFAULT)) {
      assertThat(v.model().spec().widthString()).isNotEqualTo(m.spec().widthString());
      v.model().save(dir, false, Map.of());
    }
    return dir;
  }

  private static float[] softmax(float[] logits, int classes) {
    float[] p = new float[logits.length];
    for (int r = 0; r < logits.length / classes; r++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < classes; c++) {
        max = Math.max(max, logits[r * classes + c]);
      }
      double sum = 0;
      for (int c = 0; c < classes; c++) {
        sum += Math.exp(logits[r * classes + c] - max);
      }
      for (int c = 0; c < classes; c++) {
        p[r * classes + c] = (float) (Math.exp(logits[r * classes + c] - max) / sum);
      }
    }
    return p;
  }

  private static int argMax(float[] v, int row, int classes) {
    int best = 0;
    for (int c = 1; c < classes; c++) {
      if (v[row * classes + c] > v[row * classes + best]) {
        best = c;
      }
    }
    return best;
  }

  /** The gap between the largest and second-largest logit of a row. */
  private static double margin(float[] v, int row, int classes) {
    int best = argMax(v, row, classes);
    double second = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < classes; c++) {
      if (c != best) {
        second = Math.max(second, v[row * classes + c]);
      }
    }
    return v[row * classes + best] - second;
  }

  private static float[] floats(Tensor t) {
    return HostTensor.of((TFloat32) t).values();
  }

  private static float[] map(float[] x, UnaryOperator<Float> f) {
    float[] y = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = f.apply(x[i]);
    }
    return y;
  }

  /** Asserts the export's probabilities and classes against the gated logits. */
  private static void assertProbabilitiesAndClasses(float[] gated, Tensor probs, Tensor classes) {
    float[] expected = softmax(gated, 10);
    float[] actual = floats(probs);
    // float32 softmax of logits equal within the export bound (1e-5 here): 1e-5 covers both
    for (int i = 0; i < expected.length; i++) {
      assertThat((double) actual[i]).isCloseTo(expected[i],
          org.assertj.core.api.Assertions.within(1e-5));
    }
    if (classes != null) {
      TInt64 c = (TInt64) classes;
      for (int r = 0; r < COUNT; r++) {
        if (margin(gated, r, 10) > 1e-4) { // ties within rounding may break either way
          assertThat(c.getLong(r)).as("class of example %d", r).isEqualTo(argMax(gated, r, 10));
        }
      }
    }
  }

  @Test
  void twoSignaturesWithAnArgMaxListedFirstAndTopKAreKeptWithTheRescalingPrefix() {
    Path src = tmp.resolve("two");
    ContractModels.writeTwoSignatures(src);
    ArrayData test = Mnist.test(COUNT);
    float[] x = test.features(COUNT);
    ImportedModel m = ModelImporter.load(src, ImportOptions.DEFAULT, x, COUNT);
    assertThat(m.check().maxAbsDiffByOutput()).containsOnlyKeys("classes", "dense_2",
        "predict_top/scores", "predict_top/indices", "predict_top/names");
    assertThat(m.check().maxAbsDiff()).isEqualTo(0.0);
    assertThat(m.spec().widthString()).isEqualTo("784-32-10");
    ServingSignature sig = m.signature();
    assertThat(sig.outputs()).extracting(ServingSignature.Output::kind).containsExactly(
        ServingSignature.Kind.DERIVED, ServingSignature.Kind.PROBABILITIES);
    assertThat(sig.contract().networkInput()).isEqualTo("rescaling/sub:0");
    assertThat(sig.contract().kept()).containsKeys("rescaling/mul", "rescaling/sub", "classes",
        "top_k", "class_names");

    Map<String, float[]> gated = new LinkedHashMap<>();
    float[] scaled = map(x, v -> v * 2f - 1f);
    Path out = pruneAndSave(m, scaled, "two-pruned", gated);
    float[] logits = gated.get("logits");
    try (SavedModelBundle b = SavedModelBundle.load(out.toString(), "serve");
        TFloat32 xt = TFloat32.tensorOf(Shape.of(COUNT, 784), DataBuffers.of(x, true, false))) {
      assertThat(b.signatures()).extracting(s -> s.key()).contains("serving_default",
          "predict_top");
      try (Result served = b.function("serving_default").call(Map.of("input_1", xt))) {
        assertProbabilitiesAndClasses(logits, served.get("dense_2").orElseThrow(),
            served.get("classes").orElseThrow());
      }
      try (Result top = b.function("predict_top").call(Map.of("input_1", xt))) {
        TFloat32 scores = (TFloat32) top.get("scores").orElseThrow();
        TInt32 indices = (TInt32) top.get("indices").orElseThrow();
        TString names = (TString) top.get("names").orElseThrow();
        float[] p = softmax(logits, 10);
        for (int r = 0; r < COUNT; r++) {
          if (margin(logits, r, 10) > 1e-4) {
            int best = argMax(logits, r, 10);
            assertThat(indices.getInt(r, 0)).isEqualTo(best);
            assertThat(names.getObject(r)).isEqualTo(ContractModels.NAMES[best]);
            assertThat((double) scores.getFloat(r, 0)).isCloseTo(p[r * 10 + best],
                org.assertj.core.api.Assertions.within(1e-5));
          }
        }
      }
    }
  }

  @Test
  void aRank3InputIsReshapedByAKeptPrefixAndServedInItsOwnShape() {
    Path src = tmp.resolve("rank3");
    ContractModels.writeRank3(src);
    float[] x = Mnist.test(COUNT).features(COUNT);
    ImportedModel m = ModelImporter.load(src, ImportOptions.DEFAULT, x, COUNT);
    assertThat(m.check().maxAbsDiff()).isEqualTo(0.0);
    assertThat(m.spec().widthString()).isEqualTo("784-32-10");
    assertThat(m.spec().input().gated()).isTrue();
    assertThat(m.signature().contract().networkInput()).isEqualTo("flatten/Reshape:0");
    Map<String, float[]> gated = new LinkedHashMap<>();
    Path out = pruneAndSave(m, x, "rank3-pruned", gated);
    try (SavedModelBundle b = SavedModelBundle.load(out.toString(), "serve");
        TFloat32 xt = TFloat32.tensorOf(Shape.of(COUNT, 28, 28), DataBuffers.of(x, true,
            false))) {
      try (Result served = b.function("serving_default").call(Map.of("flatten_input", xt))) {
        assertProbabilitiesAndClasses(gated.get("logits"), served.get("output_0").orElseThrow(),
            null);
      }
    }
  }

  @Test
  void aTfExampleInputKeepsItsParserAndBothSignatures() {
    Path src = tmp.resolve("example");
    ContractModels.writeTfExample(src);
    float[] x = Mnist.test(COUNT).features(COUNT);
    ImportedModel m = ModelImporter.load(src, ImportOptions.DEFAULT, x, COUNT);
    assertThat(m.check().maxAbsDiffByOutput()).containsOnlyKeys("classes", "scores",
        "predict_images/scores");
    assertThat(m.check().maxAbsDiff()).isEqualTo(0.0);
    assertThat(m.notes()).anyMatch(n -> n.contains("the input is a string"));
    Map<String, float[]> gated = new LinkedHashMap<>();
    Path out = pruneAndSave(m, x, "example-pruned", gated);
    byte[][] examples = ContractModels.examples(x, COUNT);
    try (SavedModelBundle b = SavedModelBundle.load(out.toString(), "serve");
        TString st = TString.tensorOfBytes(NdArrays.vectorOfObjects(examples));
        TFloat32 xt = TFloat32.tensorOf(Shape.of(COUNT, 784), DataBuffers.of(x, true, false))) {
      try (Result served = b.function("serving_default").call(Map.of("examples", st))) {
        assertProbabilitiesAndClasses(gated.get("logits"), served.get("scores").orElseThrow(),
            served.get("classes").orElseThrow());
      }
      try (Result images = b.function("predict_images").call(Map.of("images", xt))) {
        assertProbabilitiesAndClasses(gated.get("logits"), images.get("scores").orElseThrow(),
            null);
      }
    }
  }

  @Test
  void anotherSignatureReadingAnInnerActivationIsLeftOutWithANote() {
    Path src = tmp.resolve("inner");
    ContractModels.writeWithInnerOutput(src);
    float[] x = Mnist.test(COUNT).features(COUNT);
    ImportedModel m = ModelImporter.load(src, ImportOptions.DEFAULT, x, COUNT);
    assertThat(m.check().maxAbsDiff()).isEqualTo(0.0);
    assertThat(m.notes()).anyMatch(n -> n.startsWith("signature 'embed' is not exported")
        && n.contains("dense_1/Relu"));
    assertThat(m.signature().contract().signatures()).extracting(s -> s.key())
        .containsExactly("serving_default");
  }

  @Test
  void aDropoutKeepProbabilityIsFedOneOrItsDefaultAndAnUnfedOneIsNamed() {
    float[] x = Mnist.test(COUNT).features(COUNT);
    Path fed = tmp.resolve("dropout");
    ContractModels.writeWithDropout(fed, false);
    assertThatThrownBy(() -> ModelImporter.load(fed, ImportOptions.DEFAULT, x, COUNT))
        .isInstanceOf(ImportException.class).hasMessageContaining("keep_prob")
        .hasMessageContaining("--feed keep_prob=1");
    assertThatThrownBy(() -> ModelImporter.load(fed, ImportOptions.DEFAULT.withFeeds(
        Map.of("keep", 1f)), x, COUNT)).isInstanceOf(ImportException.class)
        .hasMessageContaining("--feed names 'keep'").hasMessageContaining("[keep_prob]");
    ImportedModel m = ModelImporter.load(fed, ImportOptions.DEFAULT.withFeeds(
        Map.of("keep_prob", 1f)), x, COUNT);
    assertThat(m.check().maxAbsDiff()).isEqualTo(0.0);
    assertThat(m.spec().widthString()).isEqualTo("784-32-10");

    Path withDefault = tmp.resolve("dropout-default");
    ContractModels.writeWithDropout(withDefault, true);
    ImportedModel d = ModelImporter.load(withDefault, ImportOptions.DEFAULT, x, COUNT);
    assertThat(d.check().maxAbsDiff()).isEqualTo(0.0);
    assertThat(d.notes()).anyMatch(n -> n.contains("keep_prob=1.0"));
  }
}
