package org.tfprune.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.types.TFloat32;
import org.tfprune.build.ParameterInitializer;
import org.tfprune.complexity.ComplexityCounter;
import org.tfprune.loss.PruningKnobs;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.KeepMask;
import org.tfprune.testing.ArrayData;
import org.tfprune.testing.Mnist;
import org.tfprune.testing.Mounts;
import org.tfprune.testing.Tf;
import org.tfprune.train.PruningTrainer;
import org.tfprune.train.TrainerConfig;
import org.tfprune.train.TrainingResult;

/**
 * Exports a briefly trained gated LeNet-75-25 (2000 MNIST training examples) and checks the
 * compact SavedModel against the gated network on 500 real MNIST test examples.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExportTest {
  private static final ArchitectureSpec SPEC = ArchitectureSpec.of("lenet-75-25",
      InputSpec.flat(784, true), DenseLayer.gatedRelu("dense0", 75),
      DenseLayer.gatedRelu("dense1", 25), DenseLayer.logits("output", 10));
  private static final int COUNT = 500;

  private TrainingResult trained;
  private ArrayData test;
  private float[] x;
  private CompactExporter.VerifiedModel verified;

  @BeforeAll
  void trainAndExport() {
    test = Mnist.test(COUNT);
    x = test.features();
    TrainerConfig c = TrainerConfig.builder().knobs(PruningKnobs.defaults().withStrength(1))
        .epochs(8).batchSize(100).seed(3).build();
    trained = new PruningTrainer(c, null).train(SPEC, Mnist.train(2000), test);
    verified = CompactExporter.compact(trained.spec(), trained.parameters(), trained.keep(), x,
        COUNT, CompactExporter.DEFAULT_TOLERANCE);
    System.out.printf("ExportTest: compact %s (from %s), max abs diff %.3g, accuracy %.4f%n",
        verified.model().spec().widthString(), SPEC.widthString(), verified.maxAbsDiff(),
        trained.testAccuracy());
  }

  @AfterAll
  void close() {
    if (verified != null) {
      verified.close();
    }
  }

  private int correct(HostTensor logits) {
    int classes = logits.dim(1);
    int n = 0;
    for (int i = 0; i < logits.dim(0); i++) {
      int best = 0;
      for (int k = 1; k < classes; k++) {
        if (logits.get(i * classes + k) > logits.get(i * classes + best)) {
          best = k;
        }
      }
      n += best == test.label(i) ? 1 : 0;
    }
    return n;
  }

  private static List<String> entries(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static void assertNoTemporaryLeftovers(Path dir) throws IOException {
    assertThat(entries(dir)).as("leftovers in %s", dir)
        .noneMatch(n -> n.contains(".tmp-") || n.contains(".old-"));
  }

  @Test
  void somethingWasPrunedIncludingInputFeatures() {
    ArchitectureSpec compact = verified.model().spec();
    assertThat(trained.keep().removed()).isPositive();
    assertThat(compact.input().selects()).isTrue();
    assertThat(trained.keep().count(InputSpec.GATE_GROUP)).isLessThan(784);
    // the export reads the kept pixels' span, which holds every kept pixel
    assertThat(compact.input().width())
        .isGreaterThanOrEqualTo(trained.keep().count(InputSpec.GATE_GROUP));
    assertThat(ComplexityCounter.count(compact).macs())
        .isLessThan(ComplexityCounter.count(SPEC).macs());
  }

  @Test
  void exportedModelMatchesGatedNetworkInDeterministicMode() {
    assertThat(verified.maxAbsDiff()).isLessThanOrEqualTo(1e-5);
    HostTensor gated = CompactExporter.gatedLogits(trained.spec(), trained.parameters(), x, COUNT);
    HostTensor compact = verified.model().predict(x, COUNT);
    assertThat(compact.shape()).containsExactly(COUNT, 10);
    assertThat(compact.maxAbsDiff(gated)).isLessThanOrEqualTo(1e-5);
  }

  @Test
  void compactModelAccuracyEqualsTheTrainersDeterministicAccuracy() {
    int correct = correct(verified.model().predict(x, COUNT));
    assertThat(correct / (double) COUNT).isCloseTo(trained.testAccuracy(), within(1e-9));
  }

  @Test
  void exporterRefusesACompactModelThatDiffersFromTheGatedNetwork() {
    Assumptions.assumeTrue(trained.keep().count("dense1") > 1);
    // drop a kept hidden unit from the mask: the compact model no longer matches
    Map<String, boolean[]> m = new LinkedHashMap<>();
    for (String g : trained.keep().groups()) {
      m.put(g, trained.keep().flags(g));
    }
    boolean[] d1 = m.get("dense1");
    int kept = trained.keep().kept("dense1")[0];
    d1[kept] = false;
    m.put("dense1", d1);
    assertThatThrownBy(() -> CompactExporter.compact(trained.spec(), trained.parameters(),
        KeepMask.of(m), x, COUNT, CompactExporter.DEFAULT_TOLERANCE))
        .isInstanceOf(ExportException.class)
        .hasMessageContaining("differs from the gated network")
        .hasMessageContaining("nothing was written");
  }

  @Test
  void oneKeptWeightOffBy1e3IsRefusedWhileTheCorrectExportPasses() {
    ArchitectureSpec compact = trained.spec().compact(trained.keep());
    ParameterSet sliced = org.tfprune.slice.WeightSlicer.slice(trained.spec(),
        trained.parameters(), trained.keep());
    // the correct compact model passes (verify throws otherwise)
    CompactExporter.verify(trained.spec(), trained.parameters(), x, COUNT, compact, sliced,
        ServingSignature.DEFAULT, false).close();
    // the output bias moves its logit by exactly 1e-3; the output kernel weight by 1e-3 times
    // the first kept unit of dense1, the first kernel weight by 1e-3 times a pixel
    for (String name : new String[] {"output/bias", "output/kernel", "dense0/kernel"}) {
      int index = name.equals("dense0/kernel")
          ? firstActiveRow(compact) * compact.layer("dense0").width() : 0;
      ParameterSet wrong = ExportBoundTest.perturbed(sliced, name, index, 1e-3f);
      assertThatThrownBy(() -> CompactExporter.verify(trained.spec(), trained.parameters(), x,
          COUNT, compact, wrong, ServingSignature.DEFAULT, false).close()).as(name)
          .isInstanceOf(ExportException.class)
          .hasMessageContaining("differs from the gated network")
          .hasMessageContaining("nothing was written");
    }
  }

  /** The row of the compact first kernel whose pixel is largest summed over the sample. */
  private int firstActiveRow(ArchitectureSpec compact) {
    int[] read = compact.input().readFeatures();
    int best = 0;
    double bestSum = -1;
    for (int r = 0; r < read.length; r++) {
      double sum = 0;
      for (int i = 0; i < COUNT; i++) {
        sum += x[i * 784 + read[r]];
      }
      if (sum > bestSum) {
        bestSum = sum;
        best = r;
      }
    }
    return best;
  }

  @Test
  void savedModelComplexityEqualsSpecCountAndCarriesNoDevicePlacement(@TempDir Path dir) {
    Path target = dir.resolve("model");
    verified.model().save(target, false, Map.of());
    SavedModelInspector inspector = SavedModelInspector.open(target);
    assertThat(inspector.complexity())
        .isEqualTo(ComplexityCounter.count(verified.model().spec()));
    // the graph reads the kept pixels' span (InputSpan): beyond the trainer's count, the first
    // layer computes the span's dropped pixels, whose kernel rows are zero
    ArchitectureSpec compact = verified.model().spec();
    int dropped = compact.input().width() - trained.keep().count(InputSpec.GATE_GROUP);
    assertThat(inspector.complexity().macs()).isEqualTo(trained.compactComplexity().macs()
        + (long) dropped * compact.layer("dense0").width());
    assertThat(inspector.placedNodes()).isZero();
    assertThat(SavedModelInspector.of(verified.model().graphDef()).complexity())
        .isEqualTo(inspector.complexity());
  }

  @Test
  void savedModelServesTheSameLogitsAndProbabilitiesSummingToOne(@TempDir Path dir)
      throws IOException {
    Path target = dir.resolve("model");
    verified.model().save(target, false,
        Map.of("report.txt", "hello".getBytes(StandardCharsets.UTF_8)));
    assertThat(Files.readString(target.resolve("report.txt"))).isEqualTo("hello");
    assertNoTemporaryLeftovers(dir);
    HostTensor expected = verified.model().predict(x, COUNT);
    try (SavedModelBundle b = SavedModelBundle.load(target.toString(), "serve");
        TFloat32 in = Tf.tensor(x, COUNT, 784);
        Result r = b.function("serving_default").call(Map.of("input", in))) {
      float[] logits = Tf.values(r.get("logits").orElseThrow());
      float[] probs = Tf.values(r.get("probabilities").orElseThrow());
      HostTensor served = new HostTensor(new long[] {COUNT, 10}, logits);
      assertThat(served.maxAbsDiff(expected)).isLessThanOrEqualTo(1e-5);
      for (int i = 0; i < COUNT; i++) {
        double sum = 0;
        for (int k = 0; k < 10; k++) {
          assertThat(probs[i * 10 + k]).isBetween(0f, 1f);
          sum += probs[i * 10 + k];
        }
        assertThat(sum).as("probabilities of example %d", i).isCloseTo(1.0, within(1e-5));
      }
    }
  }

  @Test
  void savingToAnExistingDirectoryWithoutOverwriteFailsAndLeavesItUntouched(@TempDir Path dir)
      throws IOException {
    Path target = Files.createDirectory(dir.resolve("model"));
    Files.writeString(target.resolve("keep.txt"), "precious");
    assertThatThrownBy(() -> verified.model().save(target, false, Map.of()))
        .isInstanceOf(ExportException.class).hasMessageContaining("already exists");
    assertThat(entries(target)).containsExactly("keep.txt");
    assertThat(Files.readString(target.resolve("keep.txt"))).isEqualTo("precious");
    assertThat(entries(dir)).containsExactly("model");
  }

  @Test
  void savingWithOverwriteReplacesTheDirectoryCompletely(@TempDir Path dir) throws IOException {
    Path target = Files.createDirectory(dir.resolve("model"));
    Files.writeString(target.resolve("stale.txt"), "old");
    verified.model().save(target, true, Map.of());
    assertThat(entries(target)).doesNotContain("stale.txt").contains("saved_model.pb");
    assertThat(entries(dir)).containsExactly("model");
    assertThat(SavedModelInspector.open(target).complexity())
        .isEqualTo(ComplexityCounter.count(verified.model().spec()));
  }

  @Test
  void savingUnderAParentThatIsARegularFileFailsClearlyAndWritesNothing(@TempDir Path dir)
      throws IOException {
    Path file = Files.writeString(dir.resolve("not-a-dir"), "data");
    Path target = file.resolve("model");
    assertThatThrownBy(() -> verified.model().save(target, false, Map.of()))
        .isInstanceOf(ExportException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("choose a writable output directory");
    assertThat(entries(dir)).containsExactly("not-a-dir");
    assertThat(Files.readString(file)).isEqualTo("data");
  }

  @Test
  void savingUnderAReadOnlyDirectoryFailsClearlyAndWritesNothing(@TempDir Path dir)
      throws IOException {
    // Root ignores permission bits, and CI runs as root: there the directory is a tmpfs remounted
    // read-only (or made immutable); as another user, the permission bits do it.
    Path ro = Files.createDirectory(dir.resolve("ro"));
    boolean mounted = false;
    boolean immutable = false;
    try {
      Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
      if (Files.isWritable(ro)) {
        mounted = Mounts.tmpfs(ro, "64k") && Mounts.readOnly(ro);
        if (!mounted) {
          immutable = Mounts.immutable(ro, true);
        }
        Assumptions.assumeTrue(mounted || immutable,
            () -> "needs a read-only directory, and neither a read-only tmpfs nor chattr +i "
                + "worked: " + Mounts.lastFailure);
      }
      assertThatThrownBy(() -> verified.model().save(ro.resolve("model"), false, Map.of()))
          .isInstanceOf(ExportException.class).hasMessageContaining("not writable");
      assertThat(entries(ro)).isEmpty();
    } finally {
      if (immutable) {
        Mounts.immutable(ro, false);
      }
      if (isMountPoint(ro)) {
        Mounts.unmount(ro);
      }
      Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
  }

  private static boolean isMountPoint(Path p) throws IOException {
    return !Files.getFileStore(p).equals(Files.getFileStore(p.getParent()));
  }

  @Test
  void savedModelGivesTheSameAccuracyInAFreshJvm(@TempDir Path dir) throws Exception {
    Path target = dir.resolve("model");
    verified.model().save(target, false, Map.of());
    int inProcess = correct(verified.model().predict(x, COUNT));
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), SavedModelAccuracyMain.class.getName(),
        target.toString(), String.valueOf(COUNT)));
    Path log = dir.resolve("child.log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
        .start();
    boolean finished = p.waitFor(5, TimeUnit.MINUTES);
    if (!finished) {
      p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    String out = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(finished).as("fresh JVM finished within 5 minutes; output:%n%s", out).isTrue();
    assertThat(p.exitValue()).as("fresh JVM output:%n%s", out).isZero();
    assertThat(out).contains("correct=" + inProcess + " count=" + COUNT);
  }

  /**
   * A failed InferenceModel initialization (here: a missing parameter) must release its Session
   * before its Graph; Graph.close() would otherwise wait forever for the session's reference.
   */
  @Test
  @Timeout(60)
  void inferenceModelWithAMissingParameterFailsInsteadOfHanging() {
    ArchitectureSpec dense = SPEC.withoutGates();
    Map<String, HostTensor> m = new LinkedHashMap<>(
        ParameterInitializer.initialize(dense, 1, 1f).asMap());
    m.remove("dense1/bias");
    assertTimeoutPreemptively(Duration.ofSeconds(60), () ->
        assertThatThrownBy(() -> InferenceModel.of(dense, new ParameterSet(m)))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dense1/bias"));
  }
}
