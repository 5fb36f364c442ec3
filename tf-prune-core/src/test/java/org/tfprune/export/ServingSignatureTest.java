package org.tfprune.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.collect.ImmutableList;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Signature;
import org.tensorflow.types.TFloat32;
import org.tfprune.build.ParameterInitializer;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.InputSpec;
import org.tfprune.testing.Mnist;
import org.tfprune.testing.Tf;

/** An inference model exported with another model's interface keeps its keys and tensor names. */
class ServingSignatureTest {
  private static final ArchitectureSpec SPEC = ArchitectureSpec.of("mlp",
      InputSpec.flat(784, false), DenseLayer.gatedRelu("dense_1", 20),
      DenseLayer.logits("fc_out", 10));
  private static final ServingSignature THEIRS = new ServingSignature("classify",
      ServingSignature.PREDICT_METHOD, "pixels", "images:0", ImmutableList.of(
          new ServingSignature.Output("scores", "scores:0", ServingSignature.Kind.PROBABILITIES),
          new ServingSignature.Output("logits", "fc_out/BiasAdd:0",
              ServingSignature.Kind.LOGITS)));

  @Test
  void aSavedModelWithAnotherModelsInterfaceHasItsKeysAndTensorNamesAndSameValues(
      @TempDir Path tmp) throws Exception {
    ParameterSet params = ParameterInitializer.initialize(SPEC, 3, 1f);
    float[] x = Mnist.test(50).features(50);
    Path dir = tmp.resolve("model");
    HostTensor expected;
    try (InferenceModel m = InferenceModel.of(SPEC, params, THEIRS)) {
      expected = m.predict(x, 50);
      m.save(dir, false, Map.of());
    }
    try (InferenceModel reference = InferenceModel.of(SPEC, params)) {
      assertThat(reference.predict(x, 50).maxAbsDiff(expected)).isZero();
    }
    try (SavedModelBundle b = SavedModelBundle.load(dir.toString(), "serve")) {
      assertThat(b.signatures()).extracting(Signature::key).containsExactly("classify");
      Signature sig = b.function("classify").signature();
      assertThat(sig.methodName()).isEqualTo(ServingSignature.PREDICT_METHOD);
      assertThat(sig.getInputs()).containsOnlyKeys("pixels");
      assertThat(sig.getInputs().get("pixels").name).isEqualTo("images:0");
      assertThat(sig.getOutputs()).containsOnlyKeys("scores", "logits");
      assertThat(sig.getOutputs().get("scores").name).isEqualTo("scores:0");
      assertThat(sig.getOutputs().get("logits").name).isEqualTo("fc_out/BiasAdd:0");
      try (TFloat32 xt = Tf.tensor(x, 50, 784);
          Result r = b.function("classify").call(Map.of("pixels", xt));
          Result byName = b.session().runner().feed("images:0", xt).fetch("scores:0").run()) {
        HostTensor logits = HostTensor.of((TFloat32) r.get("logits").orElseThrow());
        HostTensor scores = HostTensor.of((TFloat32) r.get("scores").orElseThrow());
        assertThat(logits.maxAbsDiff(expected)).isZero();
        assertThat(scores.maxAbsDiff(HostTensor.of((TFloat32) byName.get(0)))).isZero();
        for (int i = 0; i < 50; i++) {
          double sum = 0;
          for (int k = 0; k < 10; k++) {
            sum += scores.get(i * 10 + k);
          }
          assertThat(sum).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-5));
        }
      }
      Set<String> top = b.metaGraphDef().getGraphDef().getNodeList().stream()
          .map(n -> n.getName().split("/")[0]).collect(Collectors.toSet());
      assertThat(top).contains("images", "scores", "fc_out", "pruned", "save")
          .doesNotContain("input", "dense_1");
    }
  }

  @Test
  void theDefaultInterfaceKeepsTfPrunesOwnNames() {
    try (InferenceModel m = InferenceModel.of(SPEC, ParameterInitializer.initialize(SPEC, 3, 1f))) {
      Signature sig = m.signature();
      assertThat(sig.key()).isEqualTo("serving_default");
      assertThat(sig.getInputs().get("input").name).isEqualTo("input:0");
      assertThat(sig.getOutputs().get("logits").name).isEqualTo("logits:0");
      assertThat(sig.getOutputs().get("probabilities").name).isEqualTo("probabilities:0");
      assertThat(m.graphDef().getNodeList()).anyMatch(n -> n.getName().equals("dense_1/kernel"));
    }
  }

  @Test
  void namesThatTheGraphCannotHoldTogetherAreRefusedWithTheName() {
    ServingSignature clash = new ServingSignature("k", ServingSignature.PREDICT_METHOD, "x",
        "x:0", ImmutableList.of(new ServingSignature.Output("p", "x/probs:0",
            ServingSignature.Kind.PROBABILITIES)));
    assertThatThrownBy(() -> InferenceModel.of(SPEC, ParameterInitializer.initialize(SPEC, 3, 1f),
        clash)).isInstanceOf(ExportException.class).hasMessageContaining("'x/probs'")
        .hasMessageContaining("clash");
  }

  @Test
  void tensorNamesAreValidated() {
    assertThatThrownBy(() -> new ServingSignature.Output("a", "scores:1",
        ServingSignature.Kind.LOGITS)).hasMessageContaining("'node:0'");
    assertThatThrownBy(() -> new ServingSignature.Output("a", "bad name:0",
        ServingSignature.Kind.LOGITS)).hasMessageContaining("not a valid TensorFlow node name");
    assertThatThrownBy(() -> new ServingSignature("k", "m", "in", "in:0", ImmutableList.of(
        new ServingSignature.Output("a", "o:0", ServingSignature.Kind.LOGITS),
        new ServingSignature.Output("a", "p:0", ServingSignature.Kind.LOGITS))))
        .hasMessageContaining("two outputs with key 'a'");
  }
}
