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
import org.tensorflow.proto.SavedModel;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tfprune.slice.HostTensor;
import org.tfprune.testing.KeepEverythingExport;
import org.tfprune.testing.Mnist;
import org.tfprune.testing.TableModels;

/**
 * A model whose signatures name the classes through a hash table filled from constants in its
 * init op: the lookup is kept in the fixed suffix as the equivalent constant and GatherV2, the
 * import is exact (class names included), and the export equals the original for every
 * signature and output, on real and on random inputs, without a table or an init op.
 */
class TableLookupImportTest {
  private static final int COUNT = 300;

  @TempDir Path tmp;

  @Test
  void classNamesFromAHashTableAreKeptAsAConstantAndGatherAndTheExportEqualsTheOriginal()
      throws Exception {
    Path src = tmp.resolve("table");
    TableModels.write(src);
    float[] x = Mnist.test(COUNT).features(COUNT);
    ImportedModel m = ModelImporter.load(src, ImportOptions.DEFAULT, x, COUNT);
    assertThat(m.check().maxAbsDiffByOutput()).containsKeys("probs", "classes", "class_names",
        "names/names");
    assertThat(m.check().maxAbsDiff()).isLessThanOrEqualTo(1e-6);
    assertThat(m.notes()).anyMatch(n -> n.startsWith("LookupTableFindV2 class_names looks up")
        && n.contains("6 keys"));
    assertThat(m.signature().contract().kept()).containsKey("class_names");
    assertThat(m.signature().contract().kept().get("class_names")).contains("GatherV2")
        .contains("6 keys");
    Path out = tmp.resolve("exported");
    export(m, x, out);
    SavedModel written = SavedModel.parseFrom(Files.readAllBytes(out.resolve("saved_model.pb")));
    assertThat(written.getMetaGraphs(0).getGraphDef().getNodeList())
        .noneMatch(n -> n.getOp().contains("Table"));
    int[] real = assertEqualsOriginal(src, out, x);
    int[] random = assertEqualsOriginal(src, out, random(COUNT * 784, 3));
    assertThat(real[0] + random[0]).as("examples named by the table").isPositive();
    assertThat(real[1] + random[1]).as("examples named by the default").isPositive();
  }

  @Test
  void aTableWithStringKeysIsRefusedNamingTheLookupAndTheFix() {
    Path src = tmp.resolve("string-keys");
    TableModels.write(src, true);
    float[] x = Mnist.test(COUNT).features(COUNT);
    assertThatThrownBy(() -> ModelImporter.load(src, ImportOptions.DEFAULT, x, COUNT))
        .isInstanceOf(ImportException.class)
        .hasMessageStartingWith("LookupTableFindV2 class_names of ")
        .hasMessageContaining("has keys of type DT_STRING")
        .hasMessageContaining("GatherV2 (tf.gather)");
  }

  /** Uniform values in [0, 1). */
  private static float[] random(int n, long seed) {
    java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) rng.nextDouble();
    }
    return v;
  }

  /** Exports with every gate open and every unit kept. */
  private static void export(ImportedModel m, float[] x, Path out) {
    KeepEverythingExport.save(m, x, COUNT, out);
  }


  /** Asserts every output equal; returns how many examples the table and its default named. */
  private static int[] assertEqualsOriginal(Path src, Path out, float[] x) {
    try (SavedModelBundle a = SavedModelBundle.load(src.toString(), "serve");
        SavedModelBundle b = SavedModelBundle.load(out.toString(), "serve");
        TFloat32 xt = TFloat32.tensorOf(Shape.of(COUNT, 784), DataBuffers.of(x, true, false));
        Result ra = a.function("serving_default").call(Map.of("x", xt));
        Result rb = b.function("serving_default").call(Map.of("x", xt));
        Result na = a.function("names").call(Map.of("x", xt));
        Result nb = b.function("names").call(Map.of("x", xt))) {
      assertThat(keys(b)).isEqualTo(keys(a));
      float[] pa = HostTensor.of((TFloat32) ra.get("probs").orElseThrow()).values();
      float[] pb = HostTensor.of((TFloat32) rb.get("probs").orElseThrow()).values();
      for (int i = 0; i < pa.length; i++) {
        assertThat((double) pb[i]).isCloseTo(pa[i], within(1e-5));
      }
      TInt64 ca = (TInt64) ra.get("classes").orElseThrow();
      TInt64 cb = (TInt64) rb.get("classes").orElseThrow();
      TString sa = (TString) ra.get("class_names").orElseThrow();
      TString sb = (TString) rb.get("class_names").orElseThrow();
      TString ta = (TString) na.get("names").orElseThrow();
      TString tb = (TString) nb.get("names").orElseThrow();
      int[] named = new int[2];
      for (int r = 0; r < COUNT; r++) {
        assertThat(cb.getLong(r)).as("class of example %d", r).isEqualTo(ca.getLong(r));
        String expected = TableModels.name(ca.getLong(r));
        assertThat(sa.getObject(r)).isEqualTo(expected);
        assertThat(sb.getObject(r)).as("name of example %d", r).isEqualTo(expected);
        assertThat(tb.getObject(r)).isEqualTo(ta.getObject(r)).isEqualTo(expected);
        named[expected.equals(TableModels.UNKNOWN) ? 1 : 0]++;
      }
      return named;
    }
  }

  private static Map<String, String> keys(SavedModelBundle b) {
    return b.signatures().stream().filter(s -> !s.key().startsWith("__"))
        .collect(Collectors.toMap(s -> s.key(), s -> s.getInputs().keySet() + " -> "
            + new java.util.TreeSet<>(s.getOutputs().keySet())));
  }
}
