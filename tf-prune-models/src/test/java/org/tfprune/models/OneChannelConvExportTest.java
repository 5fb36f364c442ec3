package org.tfprune.models;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.proto.NodeDef;
import org.tfprune.build.ParameterInitializer;
import org.tfprune.complexity.ComplexityCounter;
import org.tfprune.export.CompactExporter;
import org.tfprune.export.ExportSettings;
import org.tfprune.export.SavedModelInspector;
import org.tfprune.export.ServingSignature;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.Activation;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.Conv2DLayer;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.FlattenLayer;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.KeepMask;
import org.tfprune.spec.Padding;
import org.tfprune.spec.PoolLayer;

/**
 * A LeNet-5 whose first convolution keeps 1 to 6 filters of its one input channel: up to four
 * filters the serving graph computes that convolution and its pooling with the examples as
 * channels (a {@code DepthwiseConv2dNative} of the tiled kernel, no {@code Conv2D} for it), from
 * five on with {@code Conv2D}. Either way the SavedModel, reloaded and fed MNIST digits on a noisy
 * background (a batch the exporter never saw, and a single example), equals the gated network in
 * deterministic mode within the export check's bound, and the MACs and parameters counted in the
 * saved graph are the compact network's.
 */
class OneChannelConvExportTest {
  @ParameterizedTest(name = "conv0 keeps {0} filters")
  @ValueSource(ints = {1, 2, 4, 5})
  void aOneChannelConvolutionServedWithExamplesAsChannelsStaysExactAndCountsItsMacs(int filters,
      @TempDir Path dir) {
    ArchitectureSpec spec = LeNet5.create(28, 28, 1, 10, 0.5);
    ParameterSet params = ModelExportTest.perturbed(spec, ParameterInitializer.initialize(spec, 5,
        1f), 13);
    int conv0 = params.get(ParameterSet.key("conv0", ParameterSet.THETA)).values().length;
    float[] theta = new float[conv0];
    for (int i = 0; i < filters; i++) {
      theta[2 * i] = 1f; // not the first ones only
    }
    params = params.with(ParameterSet.key("conv0", ParameterSet.THETA),
        new HostTensor(new long[] {conv0}, theta));
    KeepMask keep = KeepMask.fromTheta(params.thetas());
    assertThat(keep.count("conv0")).isEqualTo(filters);
    int count = 32;
    float[] checked = ModelExportTest.images(false, 0, count, false);
    ArchitectureSpec exported;
    List<NodeDef> nodes;
    try (CompactExporter.VerifiedModel m = CompactExporter.compact(spec, params, keep, checked,
        count, CompactExporter.DEFAULT_TOLERANCE)) {
      exported = m.model().spec();
      nodes = m.model().graphDef().getNodeList();
      m.model().save(dir.resolve("model"), false, Map.of());
    }
    boolean fastForm = filters <= 4;
    assertThat(nodes.stream().anyMatch(n -> n.getOp().equals("DepthwiseConv2dNative")
        && n.getName().contains("conv0"))).isEqualTo(fastForm);
    assertThat(nodes.stream().anyMatch(n -> n.getOp().equals("Conv2D")
        && n.getName().contains("conv0"))).isEqualTo(!fastForm);
    // conv1 (one input channel per kept conv0 filter, 25 filters) keeps its Conv2D
    assertThat(nodes).anyMatch(n -> n.getOp().equals("Conv2D") && n.getName().contains("conv1"));

    float[] other = ModelExportTest.images(false, count, count, true);
    HostTensor gated = CompactExporter.gatedLogits(spec, params, other, count);
    HostTensor served = ModelExportTest.served(dir.resolve("model"), other, count, spec);
    double diff = served.maxAbsDiff(gated);
    System.out.printf("conv0 with %d filters: max |reloaded - gated| = %.3g%n", filters, diff);
    assertThat(diff).isLessThanOrEqualTo(ExportSettings.DEFAULT.tolerance());
    float[] one = java.util.Arrays.copyOf(other, 28 * 28);
    assertThat(ModelExportTest.served(dir.resolve("model"), one, 1, spec).maxAbsDiff(
        CompactExporter.gatedLogits(spec, params, one, 1)))
        .isLessThanOrEqualTo(ExportSettings.DEFAULT.tolerance());

    SavedModelInspector saved = SavedModelInspector.open(dir.resolve("model"));
    assertThat(saved.complexity()).isEqualTo(ComplexityCounter.count(exported));
    assertThat(saved.complexity().macs())
        .isEqualTo(ComplexityCounter.count(spec.compact(keep)).macs());
  }

  /**
   * The same with batch norm on the one-filter convolution: after its activation (Keras's
   * {@code Conv2D(activation="relu")} then {@code BatchNormalization}, which cannot be folded),
   * and before it, folded (the default) or kept as its own op.
   */
  @ParameterizedTest(name = "batch norm {0}")
  @ValueSource(strings = {"after activation", "before activation, folded",
      "before activation, unfolded"})
  void aOneFilterConvolutionWithBatchNormStaysExact(String where, @TempDir Path dir) {
    boolean after = where.startsWith("after");
    Conv2DLayer conv0 = after
        ? new Conv2DLayer("conv0", 6, 5, 1, Padding.VALID, false, Activation.RELU, true, 1e-3f,
            true)
        : new Conv2DLayer("conv0", 6, 5, 1, Padding.VALID, true, Activation.RELU, true, 1e-3f);
    ArchitectureSpec spec = ArchitectureSpec.of("bn-cnn", InputSpec.of(28, 28, 1), conv0,
        PoolLayer.max2("pool0"),
        new Conv2DLayer("conv1", 8, 5, 1, Padding.VALID, true, Activation.RELU, true, 1e-3f),
        PoolLayer.max2("pool1"), new FlattenLayer("flatten"), DenseLayer.logits("output", 10));
    ParameterSet params = ModelExportTest.perturbed(spec, ParameterInitializer.initialize(spec, 7,
        1f), 17);
    float[] theta = new float[6];
    theta[3] = 1f;
    params = params.with(ParameterSet.key("conv0", ParameterSet.THETA),
        new HostTensor(new long[] {6}, theta));
    KeepMask keep = KeepMask.fromTheta(params.thetas());
    ExportSettings settings = where.endsWith("unfolded") ? ExportSettings.UNFOLDED
        : ExportSettings.DEFAULT;
    int count = 32;
    ArchitectureSpec exported;
    List<NodeDef> nodes;
    try (CompactExporter.VerifiedModel m = CompactExporter.compact(spec, params, keep,
        ModelExportTest.images(false, 0, count, false), count, ServingSignature.DEFAULT,
        settings)) {
      exported = m.model().spec();
      nodes = m.model().graphDef().getNodeList();
      m.model().save(dir.resolve("model"), false, Map.of());
    }
    assertThat(nodes).anyMatch(n -> n.getOp().equals("DepthwiseConv2dNative"));
    assertThat(nodes.stream().anyMatch(n -> n.getOp().startsWith("FusedBatchNorm")
        && n.getName().contains("conv0"))).isEqualTo(!where.endsWith(", folded"));
    float[] other = ModelExportTest.images(false, count, count, true);
    double diff = ModelExportTest.served(dir.resolve("model"), other, count, spec)
        .maxAbsDiff(CompactExporter.gatedLogits(spec, params, other, count));
    System.out.printf("one-filter conv0, batch norm %s: max |reloaded - gated| = %.3g%n", where,
        diff);
    assertThat(diff).isLessThanOrEqualTo(ExportSettings.DEFAULT.tolerance());
    assertThat(SavedModelInspector.open(dir.resolve("model")).complexity())
        .isEqualTo(ComplexityCounter.count(exported));
  }
}
