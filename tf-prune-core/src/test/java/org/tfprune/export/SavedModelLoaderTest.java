package org.tfprune.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.types.TFloat32;
import org.tfprune.build.ParameterInitializer;
import org.tfprune.slice.HostTensor;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.InputSpec;
import org.tfprune.testing.ForeignModels;

/**
 * Loading an exported SavedModel ({@link SavedModelLoader}, {@link SavedModelInspector}) checks
 * its files first: a damaged or mismatched model is an {@link ExportException} naming the file,
 * the problem and the fix; an intact one loads and computes what was saved.
 */
class SavedModelLoaderTest {
  private static final ArchitectureSpec SPEC = ArchitectureSpec.of("small",
      InputSpec.flat(6, false), DenseLayer.gatedRelu("hidden", 5).withGated(false),
      DenseLayer.logits("output", 3));

  private static Path saved(Path dir) {
    try (InferenceModel m = InferenceModel.of(SPEC, ParameterInitializer.initialize(SPEC, 2,
        1f))) {
      m.save(dir, false, Map.of());
    }
    return dir;
  }

  private static void rewrite(Path dir, java.util.function.UnaryOperator<MetaGraphDef> change)
      throws IOException {
    Path pb = dir.resolve("saved_model.pb");
    SavedModel sm = SavedModel.parseFrom(Files.readAllBytes(pb));
    Files.write(pb, sm.toBuilder().setMetaGraphs(0, change.apply(sm.getMetaGraphs(0)))
        .build().toByteArray());
  }

  private static AttrValue types(DataType... t) {
    return AttrValue.newBuilder().setList(AttrValue.ListValue.newBuilder().addAllType(
        java.util.List.of(t))).build();
  }

  @Test
  void anIntactModelLoadsAndComputesWhatWasSaved(@TempDir Path tmp) {
    float[] x = {0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f};
    HostTensor expected;
    try (InferenceModel m = InferenceModel.of(SPEC, ParameterInitializer.initialize(SPEC, 2,
        1f))) {
      expected = m.predict(x, 1);
      m.save(tmp.resolve("m"), false, Map.of());
    }
    try (SavedModelBundle b = SavedModelLoader.load(tmp.resolve("m"));
        TFloat32 t = TFloat32.tensorOf(Shape.of(1, 6), DataBuffers.of(x, true, false));
        Result r = b.function(InferenceModel.SIGNATURE_KEY).call(Map.of("input", t))) {
      assertThat(HostTensor.of((TFloat32) r.get(InferenceModel.LOGITS).orElseThrow()))
          .isEqualTo(expected);
    }
  }

  @Test
  void aTruncatedOrEmptySavedModelPbIsNamedWithTheFix(@TempDir Path tmp) throws IOException {
    Path dir = saved(tmp.resolve("m"));
    Path pb = dir.resolve("saved_model.pb");
    byte[] b = Files.readAllBytes(pb);
    Files.write(pb, Arrays.copyOf(b, b.length / 2));
    assertThatThrownBy(() -> SavedModelLoader.load(dir)).isInstanceOf(ExportException.class)
        .hasMessageContaining("saved_model.pb cannot be parsed").hasMessageContaining(
            "truncated or corrupt").hasMessageContaining("export the SavedModel again");
    assertThatThrownBy(() -> SavedModelInspector.open(dir)).isInstanceOf(ExportException.class)
        .hasMessageContaining("saved_model.pb cannot be parsed");
    Files.write(pb, new byte[0]);
    assertThatThrownBy(() -> SavedModelLoader.load(dir)).isInstanceOf(ExportException.class)
        .hasMessageContaining("saved_model.pb is empty").hasMessageContaining("truncated");
  }

  @Test
  void aVariableAbsentFromTheBundleIsNamed(@TempDir Path tmp) throws IOException {
    Path dir = saved(tmp.resolve("m"));
    rewrite(dir, m -> {
      var g = m.getGraphDef().toBuilder();
      for (int i = 0; i < g.getNodeCount(); i++) {
        NodeDef n = g.getNode(i);
        if (n.getOp().equals("VariableV2") && n.getName().equals("hidden/bias")) {
          // a variable the bundle does not hold (a graph from another export)
          g.addNode(n.toBuilder().setName("hidden/bias_2"));
        }
      }
      return m.toBuilder().setGraphDef(g).build();
    });
    assertThatThrownBy(() -> SavedModelLoader.load(dir)).isInstanceOf(ExportException.class)
        .hasMessageContaining("variable 'hidden/bias_2'").hasMessageContaining(
            "is absent from").hasMessageContaining("re-export the model");
  }

  @Test
  void aMissingSignatureTensorAndAMissingTagAreNamed(@TempDir Path tmp) throws IOException {
    Path dir = saved(tmp.resolve("m"));
    assertThatThrownBy(() -> SavedModelLoader.load(dir, "gpu")).isInstanceOf(
        ExportException.class).hasMessageContaining("no meta graph tagged 'gpu'")
        .hasMessageContaining("tagged 'serve'");
    rewrite(dir, m -> {
      var s = m.getSignatureDefOrThrow(InferenceModel.SIGNATURE_KEY);
      return m.toBuilder().putSignatureDef(InferenceModel.SIGNATURE_KEY, s.toBuilder()
          .putOutputs(InferenceModel.LOGITS, s.getOutputsOrThrow(InferenceModel.LOGITS)
              .toBuilder().setName("vanished:0").build()).build()).build();
    });
    assertThatThrownBy(() -> SavedModelLoader.load(dir)).isInstanceOf(ExportException.class)
        .hasMessageContaining("signature 'serving_default'").hasMessageContaining(
            "names the tensor 'vanished:0'").hasMessageContaining("export the SavedModel again");
  }

  @Test
  void aMalformedTf2ModelIsRefusedByNameBeforeTensorFlowSeesIt(@TempDir Path tmp)
      throws IOException {
    Path dir = tmp.resolve("tf2");
    ForeignModels.writePythonTf2Like(dir);
    // as written, its call lacks the argument types TensorFlow needs
    assertThatThrownBy(() -> SavedModelLoader.load(dir)).isInstanceOf(ExportException.class)
        .hasMessageContaining("node 'StatefulPartitionedCall'").hasMessageContaining(
            "lacks the attribute 'Tin'");
    rewrite(dir, m -> {
      var g = m.getGraphDef().toBuilder();
      for (int i = 0; i < g.getNodeCount(); i++) {
        if (g.getNode(i).getOp().equals("StatefulPartitionedCall")) {
          g.setNode(i, g.getNode(i).toBuilder()
              .putAttr("Tin", types(DataType.DT_FLOAT, DataType.DT_RESOURCE))
              .putAttr("Tout", types(DataType.DT_FLOAT)));
        }
      }
      return m.toBuilder().setGraphDef(g).build();
    });
    // then: a resource variable, but an empty variables index
    assertThatThrownBy(() -> SavedModelLoader.load(dir)).isInstanceOf(ExportException.class)
        .hasMessageContaining("variables.index is empty").hasMessageContaining("truncated");
    rewrite(dir, m -> {
      var s = m.getSignatureDefOrThrow("serving_default");
      return m.toBuilder().putSignatureDef("serving_default", s.toBuilder().putOutputs(
          "output_0", s.getOutputsOrThrow("output_0").toBuilder().setName("missing:0").build())
          .build()).build();
    });
    assertThatThrownBy(() -> SavedModelLoader.load(dir)).isInstanceOf(ExportException.class)
        .hasMessageContaining("names the tensor 'missing:0'");
  }

  @Test
  void aTruncatedDataFileIsNamedWithTheVariableThatDoesNotFit(@TempDir Path tmp)
      throws IOException {
    Path dir = saved(tmp.resolve("m"));
    Path data = dir.resolve("variables/variables.data-00000-of-00001");
    byte[] b = Files.readAllBytes(data);
    Files.write(data, Arrays.copyOf(b, b.length - 4));
    assertThatThrownBy(() -> SavedModelLoader.load(dir)).isInstanceOf(ExportException.class)
        .hasMessageContaining("variables.data-00000-of-00001 has " + (b.length - 4) + " bytes")
        .hasMessageContaining("the file is truncated");
    Files.delete(data);
    assertThatThrownBy(() -> SavedModelLoader.load(dir)).isInstanceOf(ExportException.class)
        .hasMessageContaining("missing its variable files");
  }
}
