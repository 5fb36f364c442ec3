package org.tfprune.imports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.types.TFloat32;
import org.tfprune.export.CompactExporter;
import org.tfprune.export.ServingSignature;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.Activation;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.Conv2DLayer;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.FlattenLayer;
import org.tfprune.spec.GateGroup;
import org.tfprune.spec.GlobalAvgPoolLayer;
import org.tfprune.spec.KeepMask;
import org.tfprune.spec.Padding;
import org.tfprune.spec.PoolLayer;
import org.tfprune.spec.ResidualBlock;
import org.tfprune.testing.HandGates;
import org.tfprune.testing.ArrayData;
import org.tfprune.testing.ForeignModels;
import org.tfprune.testing.Mnist;
import org.tfprune.testing.Tf;

/**
 * Imports the models another team built with plain TF-Java (see {@link ForeignModels}) and checks
 * that the imported network, every gate open, reproduces the original on real MNIST images.
 */
class ModelImporterTest {
  private static final int COUNT = 1000;

  private static ImportedModel load(Path p) {
    ArrayData test = Mnist.test(COUNT);
    return ModelImporter.load(p, ImportOptions.DEFAULT, test.features(COUNT), COUNT);
  }

  @Test
  void importedMlpWithAllGatesOpenReproducesTheOriginalOnRealMnist() {
    ImportedModel m = load(ForeignModels.mlp());
    assertThat(m.check().examples()).isEqualTo(COUNT);
    assertThat(m.check().maxAbsDiffByOutput()).containsOnlyKeys("scores", "logits");
    assertThat(m.check().maxAbsDiff()).isLessThanOrEqualTo(ModelImporter.TOLERANCE);
    ArchitectureSpec spec = m.spec();
    assertThat(spec.widthString()).isEqualTo("784-300-100-10");
    assertThat(spec.input().gated()).isTrue();
    assertThat(spec.layers()).extracting(l -> l.name()).containsExactly("dense_1", "dense_2",
        "fc_out");
    assertThat(spec.layers()).extracting(l -> l.gated()).containsExactly(true, true, false);
    assertThat(spec.gateGroups()).extracting(GateGroup::name).containsExactly("input",
        "dense_1", "dense_2");
    assertThat(m.parameters().thetas().get("dense_1")).containsOnly(1f);
    assertThat(m.parameters().get("dense_1/kernel").shape()).containsExactly(784, 300);
    ServingSignature sig = m.signature();
    assertThat(sig.key()).isEqualTo(ForeignModels.MLP_SIGNATURE);
    assertThat(sig.inputKey()).isEqualTo(ForeignModels.MLP_INPUT_KEY);
    assertThat(sig.inputTensor()).isEqualTo(ForeignModels.MLP_INPUT + ":0");
    assertThat(sig.outputs()).containsExactlyInAnyOrder(
        new ServingSignature.Output("scores", "scores:0", ServingSignature.Kind.PROBABILITIES),
        new ServingSignature.Output("logits", ForeignModels.MLP_LOGITS + ":0",
            ServingSignature.Kind.LOGITS));
    assertThat(m.notes()).isEmpty();
  }

  @Test
  void importedResidualNetWithAllGatesOpenReproducesTheOriginalOnRealMnist() {
    ImportedModel m = load(ForeignModels.residualNet());
    assertThat(m.check().maxAbsDiff()).isLessThanOrEqualTo(ModelImporter.TOLERANCE);
    ArchitectureSpec spec = m.spec();
    assertThat(spec.input().shape()).containsExactly(28, 28, 1);
    assertThat(spec.layers()).hasSize(6);
    Conv2DLayer stem = (Conv2DLayer) spec.layers().get(0);
    assertThat(stem.batchNorm()).isTrue();
    assertThat(stem.gated()).as("the stem's filters are the identity shortcut's stream").isFalse();
    assertThat(spec.layers().get(1)).isEqualTo(PoolLayer.max2("pool"));
    ResidualBlock identity = (ResidualBlock) spec.layers().get(2);
    assertThat(identity.shortcut()).isNull();
    assertThat(identity.gated()).isTrue();
    assertThat(identity.conv1().gated()).isTrue();
    ResidualBlock projection = (ResidualBlock) spec.layers().get(3);
    assertThat(projection.shortcut().kernelSize()).isEqualTo(1);
    assertThat(projection.conv1().stride()).isEqualTo(2);
    assertThat(projection.width()).isEqualTo(16);
    assertThat(spec.layers().get(4)).isInstanceOf(GlobalAvgPoolLayer.class);
    assertThat(spec.layers().get(5)).isEqualTo(DenseLayer.logits("head", 10));
    assertThat(spec.gateGroups()).extracting(GateGroup::name).containsExactly("res1_conv_a",
        "res1", "res2_conv_a", "res2");
    assertThat(m.signature().outputs()).containsExactly(new ServingSignature.Output("probs",
        "probs:0", ServingSignature.Kind.PROBABILITIES));
  }

  @Test
  void aFrozenGraphDefImportsLikeItsSavedModel(@TempDir Path tmp) {
    Path pb = tmp.resolve("frozen_mlp.pb");
    ForeignModels.freeze(ForeignModels.mlp(), pb);
    ImportedModel frozen = load(pb);
    ImportedModel saved = ModelImporter.load(ForeignModels.mlp(), ImportOptions.DEFAULT);
    assertThat(frozen.check().maxAbsDiff()).isLessThanOrEqualTo(ModelImporter.TOLERANCE);
    assertThat(frozen.spec().layers()).isEqualTo(saved.spec().layers());
    assertThat(frozen.parameters().asMap()).isEqualTo(saved.parameters().asMap());
    assertThat(frozen.spec().name()).isEqualTo("frozen_mlp");
    // no signature in a GraphDef: the outputs are the nodes nothing consumes
    assertThat(frozen.signature().inputTensor()).isEqualTo("images:0");
    assertThat(frozen.signature().outputs()).extracting(ServingSignature.Output::tensor)
        .containsExactly("scores:0");
  }

  @Test
  void aBatchNormEpsilonOtherThanTfPrunesIsKeptInTheSpecAndReproducedExactly(
      @TempDir Path tmp) {
    Path dir = tmp.resolve("eps");
    ForeignModels.writeResidualNet(dir, new ForeignModels.Training(640, 1, 64, 0.5f, 5), 1e-5f);
    ImportedModel m = load(dir);
    assertThat(m.check().maxAbsDiff()).isZero();
    assertThat(((Conv2DLayer) m.spec().layers().get(0)).batchNormEpsilon()).isEqualTo(1e-5f);
    ResidualBlock b = (ResidualBlock) m.spec().layers().get(3);
    assertThat(List.of(b.conv1(), b.conv2(), b.shortcut())).extracting(
        Conv2DLayer::batchNormEpsilon).containsOnly(1e-5f);
    assertThat(m.notes()).isEmpty();
  }

  @Test
  void aResidualNetImportedWithCoupledStreamChannelsLosesStreamChannelsExactlyOnExport(
      @TempDir Path tmp) throws Exception {
    ArrayData test = Mnist.test(COUNT);
    ImportedModel m = ModelImporter.load(ForeignModels.residualNet(),
        ImportOptions.DEFAULT.withCoupledStreamChannels(true), test.features(COUNT), COUNT);
    assertThat(m.check().maxAbsDiff()).isLessThanOrEqualTo(ModelImporter.TOLERANCE);
    assertThat(m.spec().streams()).hasSize(2); // stem + identity block; the projection block
    assertThat(m.notes()).anyMatch(n -> n.contains("stream channels coupled"));
    // every stream drops every third channel; the other groups keep everything
    HandGates gates = HandGates.of(m.spec(), m.parameters(), (g, i) -> i % 3 != 0
        || m.spec().streams().stream().noneMatch(s -> s.name().equals(g.name())));
    Map<String, boolean[]> flags = gates.flags();
    ParameterSet params = gates.parameters();
    float[] x = test.features(200);
    try (CompactExporter.VerifiedModel v = CompactExporter.compact(m.spec(), params,
        KeepMask.of(flags), x, 200, CompactExporter.DEFAULT_TOLERANCE, m.signature())) {
      assertThat(v.maxAbsDiff()).isLessThanOrEqualTo(CompactExporter.DEFAULT_TOLERANCE);
      for (var s : m.spec().streams()) {
        int before = m.spec().layer(s.head()).width();
        assertThat(v.model().spec().layer(s.head()).width()).as(s.name())
            .isEqualTo(before - (before + 2) / 3);
      }
      v.model().save(tmp.resolve("compact"), false, Map.of());
    }
    assertThat(tmp.resolve("compact").resolve("saved_model.pb")).isRegularFile();
  }

  @Test
  void couplingStreamChannelsOfANetworkWithoutResidualStagesIsRefused() {
    assertThatThrownBy(() -> ModelImporter.load(ForeignModels.mlp(),
        ImportOptions.DEFAULT.withCoupledStreamChannels(true)))
        .isInstanceOf(ImportException.class).hasMessageContaining("no residual stage")
        .hasMessageContaining("--couple-stream-channels");
  }

  @Test
  void anImportedResidualNetWithFiltersAndABlockRemovedExportsWithItsInterface(
      @TempDir Path tmp) throws Exception {
    ImportedModel m = ModelImporter.load(ForeignModels.residualNet(), ImportOptions.DEFAULT);
    boolean[] inner = new boolean[16];
    for (int i = 0; i < 16; i += 3) {
      inner[i] = true;
    }
    KeepMask keep = KeepMask.of(Map.of("res1_conv_a", new boolean[8], "res1",
        new boolean[] {false}, "res2_conv_a", inner, "res2", new boolean[] {true}));
    ParameterSet params = m.parameters(); // theta 0 where the mask removes, as after training
    for (String group : keep.groups()) {
      boolean[] k = keep.flags(group);
      float[] theta = new float[k.length];
      for (int i = 0; i < k.length; i++) {
        theta[i] = k[i] ? 1f : 0f;
      }
      params = params.with(ParameterSet.key(group, ParameterSet.THETA),
          new HostTensor(new long[] {k.length}, theta));
    }
    float[] x = Mnist.test(200).features(200);
    Path dir = tmp.resolve("compact");
    try (CompactExporter.VerifiedModel v = CompactExporter.compact(m.spec(), params, keep,
        x, 200, CompactExporter.DEFAULT_TOLERANCE, m.signature())) {
      assertThat(v.maxAbsDiff()).isLessThanOrEqualTo(CompactExporter.DEFAULT_TOLERANCE);
      assertThat(v.model().spec().layers()).extracting(l -> l.name()).containsExactly("stem",
          "pool", "res2", "gap", "head");
      assertThat(((ResidualBlock) v.model().spec().layers().get(2)).innerWidth()).isEqualTo(6);
      v.model().save(dir, false, Map.of());
    }
    try (SavedModelBundle b = SavedModelBundle.load(dir.toString(), "serve");
        TFloat32 xt = Tf.tensor(x, 200, 28, 28, 1);
        Result r = b.session().runner().feed(ForeignModels.NET_INPUT + ":0", xt)
            .fetch(ForeignModels.NET_PROBS + ":0").run()) {
      assertThat(b.function("serving_default").signature().getInputs())
          .containsOnlyKeys(ForeignModels.NET_INPUT_KEY);
      assertThat(r.get(0).shape().asArray()).containsExactly(200, 10);
    }
  }

  @Test
  void theCheckSeesAWeightThatDiffersFromTheOriginal() {
    float[] x = Mnist.test(100).features(100);
    try (SourceModel source = SourceModel.open(ForeignModels.mlp(), ImportOptions.DEFAULT)) {
      ImportedModel m = GraphMapper.map(source, ImportOptions.DEFAULT);
      assertThat(ImportCheck.run(source, m, x, 100).maxAbsDiff()).isZero();
      float[] bias = m.parameters().get("fc_out/bias").values();
      bias[3] += 1e-4f;
      ImportedModel off = new ImportedModel(m.source(), m.spec(), m.parameters().with(
          "fc_out/bias", new HostTensor(new long[] {10}, bias)), m.signature(), m.notes(), null);
      ImportCheck check = ImportCheck.run(source, off, x, 100);
      assertThat(check.maxAbsDiffByOutput().get("logits")).isCloseTo(1e-4,
          org.assertj.core.api.Assertions.within(1e-6));
      assertThat(check.passes(ModelImporter.TOLERANCE)).isFalse();
    }
  }

  @Test
  void aLeNetLikeNetMapsBiasesAveragePoolingFlattenAndATransposedWeight(@TempDir Path tmp)
      throws Exception {
    Path dir = tmp.resolve("lenet");
    ForeignModels.writeLeNetLike(dir);
    ImportedModel m = load(dir);
    assertThat(m.check().maxAbsDiff()).isZero();
    assertThat(m.spec().layers()).containsExactly(
        new Conv2DLayer("conv1", 6, 5, 1, Padding.VALID, false, Activation.RELU, true),
        new PoolLayer("pool1", PoolLayer.Kind.AVG, 2, 2, Padding.VALID),
        new Conv2DLayer("conv2", 12, 3, 1, Padding.SAME, false, Activation.RELU, true),
        PoolLayer.max2("pool2"), new FlattenLayer("flatten"), DenseLayer.gatedRelu("fc", 32),
        DenseLayer.logits("logits_layer", 10));
    assertThat(m.parameters().get("logits_layer/kernel").shape()).containsExactly(32, 10);

    // Filters removed before the flatten drop their rows of the dense kernel, exactly.
    Map<String, boolean[]> flags = new java.util.LinkedHashMap<>();
    flags.put("conv1", new boolean[] {true, false, true, true, false, true});
    boolean[] c2 = new boolean[12];
    c2[1] = c2[4] = c2[7] = c2[11] = true;
    flags.put("conv2", c2);
    boolean[] fc = new boolean[32];
    java.util.Arrays.fill(fc, 0, 20, true);
    flags.put("fc", fc);
    KeepMask keep = KeepMask.of(flags);
    ParameterSet params = m.parameters();
    for (String group : keep.groups()) {
      boolean[] k = keep.flags(group);
      float[] theta = new float[k.length];
      for (int i = 0; i < k.length; i++) {
        theta[i] = k[i] ? 1f : 0f;
      }
      params = params.with(ParameterSet.key(group, ParameterSet.THETA),
          new HostTensor(new long[] {k.length}, theta));
    }
    float[] x = Mnist.test(100).features(100);
    try (CompactExporter.VerifiedModel v = CompactExporter.compact(m.spec(), params, keep, x,
        100, CompactExporter.DEFAULT_TOLERANCE, m.signature())) {
      assertThat(v.model().spec().widthString()).isEqualTo("784-4-4-20-10");
      assertThat(v.model().signature().key()).isEqualTo("predict");
      assertThat(v.model().signature().getOutputs().get("y").name).isEqualTo("y:0");
    }
  }
}
