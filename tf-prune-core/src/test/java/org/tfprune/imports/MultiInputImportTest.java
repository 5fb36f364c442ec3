package org.tfprune.imports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tfprune.export.CompactExporter;
import org.tfprune.export.ExportSettings;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.testing.HandGates;
import org.tfprune.testing.ContractModels;
import org.tfprune.testing.Mnist;
import org.tfprune.testing.tf2.Tf2Fixtures;

/**
 * A signature with several inputs of which one feeds the network: the others (a key passed
 * through) are kept with their outputs, checked on import and served by the pruned export; logits
 * that read a second input are refused.
 */
class MultiInputImportTest {
  private static final int COUNT = 64;

  @TempDir Path tmp;

  @Test
  void aStringKeyPassedThroughIsKeptAndServedBesideThePrunedNetwork() {
    Path src = tmp.resolve("keyed");
    ContractModels.writeKeyPassthrough(src, false, false);
    float[] x = Mnist.test(COUNT).features(COUNT);
    ImportedModel m = ModelImporter.load(src, ImportOptions.DEFAULT, x, COUNT);
    assertThat(m.check().maxAbsDiffByOutput()).containsOnlyKeys("probabilities", "key");
    assertThat(m.check().maxAbsDiff()).isEqualTo(0.0);
    assertThat(m.signature().inputKey()).isEqualTo("images");
    assertThat(m.signature().contract().signature("serving_default").inputs())
        .containsOnlyKeys("images", "key").containsEntry("key", "key:0");
    assertThat(m.signature().contract().kept()).containsKeys("key", "output_key");
    assertThat(m.spec().widthString()).isEqualTo("784-8-32-10");

    Map<String, float[]> gated = new LinkedHashMap<>();
    Path out = closeEveryThirdAndSave(m, x, gated);
    String[] keys = new String[COUNT];
    for (int i = 0; i < COUNT; i++) {
      keys[i] = "example-" + (COUNT - i);
    }
    try (SavedModelBundle b = SavedModelBundle.load(out.toString(), "serve");
        TFloat32 xt = TFloat32.tensorOf(Shape.of(COUNT, 28, 28, 1), DataBuffers.of(x, true,
            false));
        TString kt = TString.tensorOf(Shape.of(COUNT), DataBuffers.ofObjects(keys))) {
      SignatureDef sd = b.metaGraphDef().getSignatureDefOrThrow("serving_default");
      assertThat(sd.getInputsMap()).containsOnlyKeys("images", "key");
      assertThat(sd.getOutputsMap()).containsOnlyKeys("probabilities", "key");
      assertInput(sd.getInputsOrThrow("key"), DataType.DT_STRING, -1);
      assertInput(sd.getInputsOrThrow("images"), DataType.DT_FLOAT, -1, 28, 28, 1);
      try (Result r = b.function("serving_default").call(Map.of("images", xt, "key", kt))) {
        TString served = (TString) r.get("key").orElseThrow();
        assertThat(served.shape().asArray()).containsExactly(COUNT);
        for (int i = 0; i < COUNT; i++) {
          assertThat(served.getObject(i)).isEqualTo(keys[i]);
        }
        assertProbabilities(gated.get("logits"), r.get("probabilities").orElseThrow());
      }
    }
  }

  @Test
  void anInt64KeyOfShapeBatchByOneIsCheckedAndServed() {
    Path src = tmp.resolve("int-keyed");
    ContractModels.writeKeyPassthrough(src, true, false);
    float[] x = Mnist.test(COUNT).features(COUNT);
    ImportedModel m = ModelImporter.load(src, ImportOptions.DEFAULT, x, COUNT);
    assertThat(m.check().maxAbsDiffByOutput()).containsOnlyKeys("probabilities", "key");
    assertThat(m.check().maxAbsDiff()).isEqualTo(0.0);
    Path out = closeEveryThirdAndSave(m, x, new LinkedHashMap<>());
    long[] keys = new long[COUNT];
    for (int i = 0; i < COUNT; i++) {
      keys[i] = 1000L + 7 * i;
    }
    try (SavedModelBundle b = SavedModelBundle.load(out.toString(), "serve");
        TFloat32 xt = TFloat32.tensorOf(Shape.of(COUNT, 28, 28, 1), DataBuffers.of(x, true,
            false));
        TInt64 kt = TInt64.tensorOf(Shape.of(COUNT, 1), DataBuffers.of(keys, true, false))) {
      SignatureDef sd = b.metaGraphDef().getSignatureDefOrThrow("serving_default");
      assertInput(sd.getInputsOrThrow("key"), DataType.DT_INT64, -1, 1);
      try (Result r = b.function("serving_default").call(Map.of("images", xt, "key", kt))) {
        TInt64 served = (TInt64) r.get("key").orElseThrow();
        for (int i = 0; i < COUNT; i++) {
          assertThat(served.getLong(i, 0)).isEqualTo(keys[i]);
        }
      }
    }
  }

  @Test
  void aKeyBesideSerializedExamplesLeavesTheExamplesAsTheNetworkInput() {
    Path src = tmp.resolve("examples-keyed");
    ContractModels.writeTfExample(src, true);
    float[] x = Mnist.test(COUNT).features(COUNT);
    ImportedModel m = ModelImporter.load(src, ImportOptions.DEFAULT, x, COUNT);
    assertThat(m.signature().inputKey()).isEqualTo("examples");
    assertThat(m.signature().contract().networkInput()).isEqualTo("x:0");
    assertThat(m.check().maxAbsDiffByOutput()).containsOnlyKeys("classes", "scores", "key",
        "predict_images/scores");
    assertThat(m.check().maxAbsDiff()).isEqualTo(0.0);
    Path out = closeEveryThirdAndSave(m, x, new LinkedHashMap<>());
    try (SavedModelBundle b = SavedModelBundle.load(out.toString(), "serve");
        TString st = TString.tensorOfBytes(org.tensorflow.ndarray.NdArrays.vectorOfObjects(
            ContractModels.examples(x, COUNT)));
        TInt64 kt = TInt64.tensorOf(Shape.of(COUNT), DataBuffers.of(
            java.util.stream.LongStream.range(0, COUNT).map(i -> 5 * i + 3).toArray(), true,
            false));
        Result r = b.function("serving_default").call(Map.of("examples", st, "key", kt))) {
      TInt64 served = (TInt64) r.get("key").orElseThrow();
      for (int i = 0; i < COUNT; i++) {
        assertThat(served.getLong(i)).isEqualTo(5L * i + 3);
      }
      assertThat(r.get("scores").orElseThrow().shape().asArray()).containsExactly(COUNT, 10);
    }
  }

  @Test
  void logitsThatReadASecondInputAreRefusedNamingBothInputs() {
    Path src = tmp.resolve("scaled");
    ContractModels.writeKeyPassthrough(src, false, true);
    float[] x = Mnist.test(COUNT).features(COUNT);
    assertThatThrownBy(() -> ModelImporter.load(src, ImportOptions.DEFAULT, x, COUNT))
        .isInstanceOf(ImportException.class)
        .hasMessageContaining("depend on the inputs [images, scale]")
        .hasMessageContaining("trains the network on one input tensor")
        .hasMessageContaining("folded into the network as constants")
        .hasMessageNotContaining("[images, key");
  }

  @Test
  void aKeyBesideAPythonTf2ModelsCallIsChosenByTypeAndKept() throws Exception {
    Path src = tmp.resolve("tf2-keyed");
    Tf2Fixtures.write(src, Tf2Fixtures.Net.MLP, Tf2Fixtures.Form.KERAS2, 77);
    String in = Tf2Fixtures.inputKey(Tf2Fixtures.Net.MLP, Tf2Fixtures.Form.KERAS2);
    ImportErrorsTest.rewrite(src, meta -> {
      SignatureDef sig = meta.getSignatureDefOrThrow("serving_default");
      TensorShapeProto batch = TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim
          .newBuilder().setSize(-1)).build();
      GraphDef g = meta.getGraphDef().toBuilder()
          .addNode(NodeDef.newBuilder().setName("serving_default_key").setOp("Placeholder")
              .putAttr("dtype", AttrValue.newBuilder().setType(DataType.DT_STRING).build())
              .putAttr("shape", AttrValue.newBuilder().setShape(batch).build()))
          .addNode(NodeDef.newBuilder().setName("key_passthrough").setOp("Identity")
              .addInput("serving_default_key")
              .putAttr("T", AttrValue.newBuilder().setType(DataType.DT_STRING).build()))
          .build();
      TensorInfo.Builder info = TensorInfo.newBuilder().setDtype(DataType.DT_STRING)
          .setTensorShape(batch);
      return meta.toBuilder().setGraphDef(g).putSignatureDef("serving_default", sig.toBuilder()
          .putInputs("key", info.setName("serving_default_key:0").build())
          .putOutputs("key", info.setName("key_passthrough:0").build()).build()).build();
    });
    float[] x = Mnist.test(COUNT).features(COUNT);
    ImportedModel m = ModelImporter.load(src, ImportOptions.DEFAULT, x, COUNT);
    assertThat(m.signature().inputKey()).isEqualTo(in);
    assertThat(m.check().maxAbsDiffByOutput()).containsKey("key");
    assertThat(m.check().maxAbsDiff()).isLessThanOrEqualTo(1e-5);
    Path out = closeEveryThirdAndSave(m, x, new LinkedHashMap<>());
    String[] keys = {"a", "b", "c"};
    try (SavedModelBundle b = SavedModelBundle.load(out.toString(), "serve");
        TFloat32 xt = TFloat32.tensorOf(Shape.of(3, 784), DataBuffers.of(
            java.util.Arrays.copyOf(x, 3 * 784), true, false));
        TString kt = TString.tensorOf(Shape.of(3), DataBuffers.ofObjects(keys));
        Result r = b.function("serving_default").call(Map.of(in, xt, "key", kt))) {
      TString served = (TString) r.get("key").orElseThrow();
      assertThat(served.getObject(2)).isEqualTo("c");
    }
  }

  private static void assertInput(TensorInfo info, DataType type, long... dims) {
    assertThat(info.getDtype()).isEqualTo(type);
    assertThat(info.getTensorShape().getDimList()).extracting(d -> d.getSize())
        .containsExactly(java.util.Arrays.stream(dims).boxed().toArray(Long[]::new));
  }

  /** Prunes every third unit of every gate group (theta 0 / 1) and exports. */
  private Path closeEveryThirdAndSave(ImportedModel m, float[] x, Map<String, float[]> gated) {
    HandGates gates = HandGates.everyThirdClosed(m.spec(), m.parameters());
    ParameterSet params = gates.parameters();
    gated.put("logits", CompactExporter.gatedLogits(m.spec(), params, x, COUNT).values());
    Path dir = tmp.resolve("pruned-" + System.nanoTime());
    try (CompactExporter.VerifiedModel v = CompactExporter.compact(m.spec(), params,
        gates.keep(), x, COUNT, m.signature(), ExportSettings.DEFAULT)) {
      assertThat(v.model().spec().widthString()).isNotEqualTo(m.spec().widthString());
      v.model().save(dir, false, Map.of());
    }
    assertThat(Files.isDirectory(dir)).isTrue();
    return dir;
  }

  private static void assertProbabilities(float[] logits, Tensor probs) {
    float[] p = HostTensor.of((TFloat32) probs).values();
    assertThat(p).hasSize(logits.length);
    for (int r = 0; r < logits.length / 10; r++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < 10; c++) {
        max = Math.max(max, logits[r * 10 + c]);
      }
      double sum = 0;
      for (int c = 0; c < 10; c++) {
        sum += Math.exp(logits[r * 10 + c] - max);
      }
      for (int c = 0; c < 10; c++) {
        assertThat((double) p[r * 10 + c]).isCloseTo(Math.exp(logits[r * 10 + c] - max) / sum,
            within(1e-5));
      }
    }
  }
}
