package org.tfprune.imports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
import org.tfprune.testing.LookupTableModels;
import org.tfprune.testing.Mnist;
import org.tfprune.testing.TableModels;
import org.tfprune.testing.tf2.Tf2TableFixture;

/**
 * Models whose signatures look values up in a hash table filled by their init op, from
 * constants (integer or string keys) or from a text file among the SavedModel's assets: the
 * lookup is kept in the fixed suffix as equivalent constants and GatherV2, the import is exact,
 * and the export equals the original for every signature and output, on real and on random
 * inputs, and on keys the table holds, lacks, negative ones and ones past its end, without a
 * table, an init op or an asset. A missing asset file is refused, naming the file and the lookup.
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
  void stringKeysToInt64ValuesAreMatchedExactlyAndTheExportEqualsTheOriginal() throws Exception {
    Map<Long, Object> table = Map.of(0L, 100L, 1L, 101L, 2L, 102L, 4L, 104L, 5L, 105L);
    Path out = importAndExport(LookupTableModels.Kind.STRING_KEYS_TO_INT64, "constants", 6);
    assertLookupsEqual(out, table, -1L);
  }

  @Test
  void lineNumbersToWholeLinesOfAnAssetFileAreReadAsTensorFlowReadsThem() throws Exception {
    Map<Long, Object> table = Map.of(0L, "zero", 1L, "one", 2L, "two words", 3L, "\tthree",
        4L, "four");
    Path out = importAndExport(LookupTableModels.Kind.LINE_NUMBERS_TO_LINES,
        "the text file assets/" + LookupTableModels.ASSET, 5);
    assertLookupsEqual(out, table, "UNK");
  }

  @Test
  void columnsOfAnAssetListedInTheOlderCollectionAreReadUpToVocabSize() throws Exception {
    Map<Long, Object> table = Map.of(0L, 10L, 1L, 11L, 2L, 12L, 4L, 14L);
    Path out = importAndExport(LookupTableModels.Kind.CSV_COLUMNS,
        "the text file assets/" + LookupTableModels.ASSET, 4);
    assertLookupsEqual(out, table, -1L);
  }

  @Test
  void aMutableTableTheInitOpImportsIntoIsReadBackFromTensorFlow() throws Exception {
    Map<Long, Object> table = Map.of(0L, "zero", 1L, "one", 2L, "two", 4L, "four");
    Path out = importAndExport(LookupTableModels.Kind.MUTABLE_IMPORTED,
        "the table TensorFlow loaded", 4);
    assertLookupsEqual(out, table, "UNK");
  }

  @Test
  void aTableThatServingChangesIsRefusedNamingTheOpThatChangesIt() {
    Path src = tmp.resolve("inserted");
    LookupTableModels.write(src, LookupTableModels.Kind.MUTABLE_INSERTED_WHILE_SERVING);
    float[] x = Mnist.test(COUNT).features(COUNT);
    assertThatThrownBy(() -> ModelImporter.load(src, ImportOptions.DEFAULT, x, COUNT))
        .isInstanceOf(ImportException.class)
        .hasMessageStartingWith("LookupTableFindV2 looked of ")
        .hasMessageContaining("LookupTableInsertV2 table_insert changes whenever a signature "
            + "runs");
  }

  @Test
  void aTf2TableFilledByAnInitializerFunctionFromAnAssetIsReadBackFromTensorFlow()
      throws Exception {
    Path src = tmp.resolve("tf2-table");
    Tf2TableFixture.write(src);
    float[] x = Mnist.test(COUNT).features(COUNT);
    ImportedModel m = ModelImporter.load(src, ImportOptions.DEFAULT, x, COUNT);
    assertThat(m.check().maxAbsDiffByOutput()).containsKeys("dense_2", "names");
    assertThat(m.check().maxAbsDiffByOutput().get("names")).isZero();
    assertThat(m.notes()).anyMatch(n -> n.contains("looks up values")
        && n.contains("filled from the table TensorFlow loaded:") && n.contains("5 keys"));
    Path out = tmp.resolve("tf2-table-exported");
    export(m, x, out);
    int[] named = new int[2];
    for (float[] in : List.of(x, random(COUNT * 784, 11))) {
      try (SavedModelBundle a = SavedModelBundle.load(src.toString(), "serve");
          SavedModelBundle b = SavedModelBundle.load(out.toString(), "serve");
          TFloat32 xt = TFloat32.tensorOf(Shape.of(COUNT, 784), DataBuffers.of(in, true, false));
          Result ra = a.function("serving_default").call(Map.of("dense_input", xt));
          Result rb = b.function("serving_default").call(Map.of("dense_input", xt))) {
        float[] probs = HostTensor.of((TFloat32) ra.get("dense_2").orElseThrow()).values();
        TString na = (TString) ra.get("names").orElseThrow();
        TString nb = (TString) rb.get("names").orElseThrow();
        assertThat(nb.shape()).isEqualTo(na.shape()).isEqualTo(Shape.of(COUNT));
        for (int r = 0; r < COUNT; r++) {
          int best = 0;
          for (int c = 1; c < 10; c++) {
            best = probs[r * 10 + c] > probs[r * 10 + best] ? c : best;
          }
          long key = best - Tf2TableFixture.SHIFT;
          String expected = key >= 0 && key < Tf2TableFixture.LINES.size()
              ? Tf2TableFixture.LINES.get((int) key) : "UNK";
          assertThat(na.getObject(r)).as("original, example %d", r).isEqualTo(expected);
          assertThat(nb.getObject(r)).as("export, example %d", r).isEqualTo(expected);
          named[expected.equals("UNK") ? 1 : 0]++;
        }
      }
    }
    assertThat(named).as("named by the file, by the default").doesNotContain(0);
  }

  @Test
  void aMissingAssetFileIsNamedWithTheLookupAndNothingIsWritten() throws Exception {
    Path src = tmp.resolve("missing-asset");
    LookupTableModels.write(src, LookupTableModels.Kind.LINE_NUMBERS_TO_LINES);
    Files.delete(src.resolve("assets").resolve(LookupTableModels.ASSET));
    float[] x = Mnist.test(COUNT).features(COUNT);
    Path out = tmp.resolve("never-written");
    assertThatThrownBy(() -> export(ModelImporter.load(src, ImportOptions.DEFAULT, x, COUNT), x,
        out))
        .isInstanceOf(ImportException.class)
        .hasMessageContaining("asset file assets/" + LookupTableModels.ASSET)
        .hasMessageContaining("is missing")
        .hasMessageContaining("LookupTableFindV2 looked")
        .hasMessageContaining("copy the whole SavedModel directory");
    assertThat(out).doesNotExist();
    Path tf2 = tmp.resolve("tf2-missing-asset");
    Tf2TableFixture.write(tf2);
    Files.delete(tf2.resolve("assets").resolve(Tf2TableFixture.ASSET));
    assertThatThrownBy(() -> export(ModelImporter.load(tf2, ImportOptions.DEFAULT, x, COUNT), x,
        out))
        .isInstanceOf(ImportException.class)
        .hasMessageContaining("asset file assets/" + Tf2TableFixture.ASSET)
        .hasMessageContaining("is missing")
        .hasMessageContaining("asset_path_initializer:0");
    assertThat(out).doesNotExist();
  }

  /**
   * Imports the model of {@code kind} (the lookup kept as constants and GatherV2, the import
   * check exact), exports it and checks every signature output equals the original's.
   */
  private Path importAndExport(LookupTableModels.Kind kind, String filledFrom, int keys)
      throws Exception {
    Path src = tmp.resolve(kind.name());
    LookupTableModels.write(src, kind);
    float[] x = Mnist.test(COUNT).features(COUNT);
    ImportedModel m = ModelImporter.load(src, ImportOptions.DEFAULT, x, COUNT);
    assertThat(m.check().maxAbsDiffByOutput()).containsKeys("probs", "classes", "looked");
    assertThat(m.check().maxAbsDiffByOutput().get("looked")).isZero();
    assertThat(m.notes()).anyMatch(n -> n.startsWith("LookupTableFindV2 looked looks up")
        && n.contains("filled from " + filledFrom + ":") && n.contains(keys + " keys"));
    Path out = tmp.resolve(kind.name() + "-exported");
    export(m, x, out);
    SavedModel written = SavedModel.parseFrom(Files.readAllBytes(out.resolve("saved_model.pb")));
    assertThat(written.getMetaGraphs(0).getGraphDef().getNodeList())
        .noneMatch(n -> n.getOp().contains("Table"));
    assertThat(out.resolve("assets")).doesNotExist();
    for (float[] in : List.of(x, random(COUNT * 784, 5))) {
      try (SavedModelBundle a = SavedModelBundle.load(src.toString(), "serve");
          SavedModelBundle b = SavedModelBundle.load(out.toString(), "serve");
          TFloat32 xt = TFloat32.tensorOf(Shape.of(COUNT, 784), DataBuffers.of(in, true, false));
          Result ra = a.function("serving_default").call(Map.of("x", xt));
          Result rb = b.function("serving_default").call(Map.of("x", xt))) {
        assertThat(keys(b)).isEqualTo(keys(a));
        for (String k : List.of("probs", "classes", "looked")) {
          assertThat(ContractCheck.maxAbsDiff(ra.get(k).orElseThrow(), rb.get(k).orElseThrow()))
              .as(k).isLessThanOrEqualTo(1e-5);
        }
        assertThat(ContractCheck.maxAbsDiff(ra.get("looked").orElseThrow(),
            rb.get("looked").orElseThrow())).isZero();
      }
    }
    return out;
  }

  /**
   * Feeds keys the table holds, keys it lacks, negative keys and keys far past its end to the
   * lookup's keys tensor of the original and the export: both give {@code table}'s value, else
   * {@code deflt}, of the same type and shape.
   */
  private void assertLookupsEqual(Path out, Map<Long, Object> table, Object deflt) {
    long[] probe = {-3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1000, Long.MIN_VALUE,
        Long.MAX_VALUE, 4, 0};
    Path src = tmp.resolve(out.getFileName().toString().replace("-exported", ""));
    int[] seen = new int[3]; // hits, misses within [0, 9], other keys
    try (SavedModelBundle a = SavedModelBundle.load(src.toString(), "serve");
        SavedModelBundle b = SavedModelBundle.load(out.toString(), "serve");
        TInt64 k = TInt64.tensorOf(Shape.of(3, 6), DataBuffers.of(probe, true, false));
        Result ra = a.session().runner().feed("keys", k).fetch("looked").run();
        Result rb = b.session().runner().feed("keys", k).fetch("looked").run()) {
      assertThat(rb.get(0).shape()).isEqualTo(ra.get(0).shape()).isEqualTo(Shape.of(3, 6));
      assertThat(rb.get(0).dataType()).isEqualTo(ra.get(0).dataType());
      for (int i = 0; i < probe.length; i++) {
        Object expected = table.getOrDefault(probe[i], deflt);
        assertThat(value(ra.get(0), i)).as("original at key %d", probe[i]).isEqualTo(expected);
        assertThat(value(rb.get(0), i)).as("export at key %d", probe[i]).isEqualTo(expected);
        seen[table.containsKey(probe[i]) ? 0 : probe[i] >= 0 && probe[i] <= 9 ? 1 : 2]++;
      }
    }
    assertThat(seen).as("hits, misses, other keys").doesNotContain(0);
  }

  private static Object value(org.tensorflow.Tensor t, int i) {
    long[] at = {i / 6, i % 6};
    return t instanceof TString s ? (Object) s.getObject(at) : (Object) ((TInt64) t).getLong(at);
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
