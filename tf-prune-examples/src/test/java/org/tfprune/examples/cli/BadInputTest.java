package org.tfprune.examples.cli;

import org.tfprune.testing.Mounts;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tf-prune train}, {@code prune} and {@code evaluate} on bad input, case by case: a damaged
 * SavedModel, a wrong tag or signature, malformed or mismatched data, every knob out of range, an
 * existing or unwritable output. Each is refused before any work with exit code 2, a message
 * naming the problem and the fix, and nothing written. What the tests observe is the table in
 * {@code docs/bad-input.md} ({@link BadInputTable}).
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BadInputTest {
  private static final BadInputTable TABLE = new BadInputTable("BadInputTest");
  private static final int BAD_INPUT = TfPruneCli.EXIT_BAD_INPUT;

  @TempDir
  static Path tmp;

  @BeforeAll
  static void trainATinyModel() {
    TABLE.show(TinyModel.root(), "").show(tmp, "");
  }

  @AfterAll
  static void documentedTableMatchesWhatWasObserved() throws IOException {
    TABLE.finish();
  }

  private static String[] train(Path data, Path out, String... extra) {
    List<String> a = new ArrayList<>(List.of("train", "--data-dir", data.toString(), "--epochs",
        "1", "--batch-size", "50", "--no-baseline", "--quiet", "--out", out.toString()));
    a.addAll(List.of(extra));
    return a.toArray(String[]::new);
  }

  private static String[] prune(Path model, Path data, Path out, String... extra) {
    List<String> a = new ArrayList<>(List.of("prune", "--saved-model", model.toString(),
        "--data-dir", data.toString(), "--epochs", "1", "--batch-size", "50", "--quiet",
        "--out", out.toString()));
    a.addAll(List.of(extra));
    return a.toArray(String[]::new);
  }

  private static String[] evaluate(Path model, Path data, String... extra) {
    List<String> a = new ArrayList<>(List.of("evaluate", "--saved-model", model.toString(),
        "--dataset", "mnist", "--data-dir", data.toString()));
    a.addAll(List.of(extra));
    return a.toArray(String[]::new);
  }

  /** A damaged copy of the tiny model. */
  private static Path damagedModel(String name, Damage damage) throws IOException {
    Path dir = TinyModel.copyTree(TinyModel.model(), tmp.resolve(name));
    damage.apply(dir);
    return dir;
  }

  /** A damaged copy of the tiny data directory. */
  private static Path damagedData(String name, Damage damage) throws IOException {
    Path dir = IdxFixture.copy(TinyModel.data(), tmp.resolve(name));
    damage.apply(dir);
    return dir;
  }

  private interface Damage {
    void apply(Path dir) throws IOException;
  }

  private static void truncate(Path file, int keep) throws IOException {
    byte[] b = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(b, keep));
  }

  /** The case runs {@code prune} and {@code evaluate} on the damaged model; both refuse it. */
  private static void modelRefused(String name, Path model, List<String> fragments)
      throws IOException {
    Path out = tmp.resolve(model.getFileName() + "-pruned");
    TABLE.check(name, BAD_INPUT, fragments, prune(model, TinyModel.data(), out));
    assertThat(out).doesNotExist();
    TABLE.check(name, BAD_INPUT, fragments, evaluate(model, TinyModel.data()));
  }

  // ---- a damaged or mismatched SavedModel (prune, evaluate)

  @Test
  void aTruncatedSavedModelPbIsRefusedByName() throws IOException {
    Path m = damagedModel("pb-truncated", d -> truncate(d.resolve("saved_model.pb"), 100));
    modelRefused("saved_model.pb truncated", m, List.of("saved_model.pb", "truncated", "again"));
  }

  @Test
  void aSavedModelPbOfRandomBytesIsRefusedByName() throws IOException {
    byte[] noise = new byte[2000];
    new Random(7).nextBytes(noise);
    Path m = damagedModel("pb-random", d -> Files.write(d.resolve("saved_model.pb"), noise));
    modelRefused("saved_model.pb of random bytes", m, List.of("saved_model.pb", "again"));
  }

  @Test
  void aMissingVariablesIndexIsNamed() throws IOException {
    Path m = damagedModel("index-missing",
        d -> Files.delete(d.resolve("variables/variables.index")));
    modelRefused("variables.index missing", m, List.of("variables/variables.index",
        "copy the whole SavedModel directory"));
  }

  @Test
  void aTruncatedVariablesIndexIsRefused() throws IOException {
    Path m = damagedModel("index-truncated",
        d -> truncate(d.resolve("variables/variables.index"), 20));
    modelRefused("variables.index truncated", m, List.of("variables",
        "copy the whole SavedModel directory again"));
  }

  @Test
  void aMissingVariablesDataFileIsNamed() throws IOException {
    Path m = damagedModel("data-missing",
        d -> Files.delete(d.resolve("variables/variables.data-00000-of-00001")));
    modelRefused("variables.data-* missing", m, List.of("variables/variables.data-",
        "copy the whole SavedModel directory"));
  }

  @Test
  void aTruncatedVariablesDataFileIsRefused() throws IOException {
    Path m = damagedModel("data-truncated",
        d -> truncate(d.resolve("variables/variables.data-00000-of-00001"), 1000));
    modelRefused("variables.data-* truncated", m, List.of("variables",
        "copy the whole SavedModel directory again"));
  }

  @Test
  void aWrongTagNamesTheTagsTheModelHas() throws IOException {
    Path out = tmp.resolve("tag-pruned");
    List<String> f = List.of("tagged 'gpu'", "--tag serve");
    TABLE.check("wrong tag", BAD_INPUT, f, prune(TinyModel.model(), TinyModel.data(), out,
        "--tag", "gpu"));
    assertThat(out).doesNotExist();
    TABLE.check("wrong tag", BAD_INPUT, f, evaluate(TinyModel.model(), TinyModel.data(),
        "--tag", "gpu"));
  }

  @Test
  void aWrongSignatureNamesTheSignaturesTheModelHas() throws IOException {
    Path out = tmp.resolve("signature-pruned");
    List<String> f = List.of("no signature 'classify'", "serving_default", "--signature");
    TABLE.check("wrong signature", BAD_INPUT, f, prune(TinyModel.model(), TinyModel.data(),
        out, "--signature", "classify"));
    assertThat(out).doesNotExist();
    TABLE.check("wrong signature", BAD_INPUT, f, evaluate(TinyModel.model(), TinyModel.data(),
        "--signature", "classify"));
  }

  @Test
  void imagesOfAnotherShapeThanTheModelsInputAreRefusedNamingBothShapes() throws IOException {
    Path data = IdxFixture.synthetic(tmp.resolve("images-32x32"), 100, 100, 32, 32, 3);
    CliRun e = TABLE.check("images of another shape than the model's input (32x32 for 28x28)",
        BAD_INPUT, List.of("[?, 784]", "[32, 32, 1]", "trained on"),
        evaluate(TinyModel.model(), data));
    assertThat(e.out()).doesNotContain("accuracy");
    Path out = tmp.resolve("images-32x32-pruned");
    TABLE.check("images of another shape than the model's input (32x32 for 28x28)", BAD_INPUT,
        List.of("[32, 32, 1] (1024 values)", "[?, 784] (784", "trained on"),
        prune(TinyModel.model(), data, out));
    assertThat(out).doesNotExist();
  }

  // ---- malformed data (train, prune, evaluate)

  /** The case runs all three commands on the damaged data; each refuses it. */
  private static void dataRefused(String name, Path data, List<String> fragments)
      throws IOException {
    Path out = tmp.resolve(data.getFileName() + "-trained");
    TABLE.check(name, BAD_INPUT, fragments, train(data, out));
    Path pruned = tmp.resolve(data.getFileName() + "-pruned");
    TABLE.check(name, BAD_INPUT, fragments, prune(TinyModel.model(), data, pruned));
    TABLE.check(name, BAD_INPUT, fragments, evaluate(TinyModel.model(), data));
    assertThat(out).doesNotExist();
    assertThat(pruned).doesNotExist();
    assertThat(out.resolveSibling(out.getFileName() + ".checkpoint")).doesNotExist();
  }

  @Test
  void anImageFileShorterThanItsHeaderSaysIsTruncated() throws IOException {
    Path d = damagedData("images-short", dir -> truncate(dir.resolve(IdxFixture.TRAIN_IMAGES),
        16 + 300 * 784 - 100));
    dataRefused("IDX image file shorter than its header says", d,
        List.of(IdxFixture.TRAIN_IMAGES, "truncated", "300 images", "fetch-mnist.sh"));
  }

  @Test
  void anImageFileLongerThanItsHeaderSaysIsRefused() throws IOException {
    Path d = damagedData("images-long", dir -> Files.write(dir.resolve(IdxFixture.TRAIN_IMAGES),
        new byte[784], java.nio.file.StandardOpenOption.APPEND));
    dataRefused("IDX image file longer than its header says", d,
        List.of(IdxFixture.TRAIN_IMAGES, "784 unexpected bytes", "fetch-mnist.sh"));
  }

  @Test
  void aLabelFileWithFewerLabelsThanImagesIsRefused() throws IOException {
    Path d = damagedData("labels-fewer", dir -> {
      byte[] labels = Files.readAllBytes(dir.resolve(IdxFixture.TRAIN_LABELS));
      Files.write(dir.resolve(IdxFixture.TRAIN_LABELS),
          IdxFixture.labels(250, Arrays.copyOfRange(labels, 8, 8 + 250)));
    });
    dataRefused("label file with fewer labels than the image file has images", d,
        List.of("holds 300 images", "holds 250 labels", "same split"));
  }

  @Test
  void aLabelFileShorterThanItsHeaderSaysIsTruncated() throws IOException {
    Path d = damagedData("labels-short", dir -> truncate(dir.resolve(IdxFixture.TRAIN_LABELS),
        8 + 250));
    dataRefused("IDX label file shorter than its header says", d,
        List.of(IdxFixture.TRAIN_LABELS, "truncated", "300 labels"));
  }

  @Test
  void aLabelOutOfRangeIsNamedWithItsIndex() throws IOException {
    Path d = damagedData("label-12", dir -> {
      byte[] labels = Files.readAllBytes(dir.resolve(IdxFixture.TRAIN_LABELS));
      labels[8 + 5] = 12;
      Files.write(dir.resolve(IdxFixture.TRAIN_LABELS), labels);
    });
    dataRefused("label out of range", d,
        List.of(IdxFixture.TRAIN_LABELS, "label 12 at index 5", "out of range 0..9"));
  }

  @Test
  void anEmptyTestSetIsRefused() throws IOException {
    Path d = damagedData("test-empty", dir -> {
      Files.write(dir.resolve(IdxFixture.TEST_IMAGES), IdxFixture.images(0, 28, 28,
          new byte[0]));
      Files.write(dir.resolve(IdxFixture.TEST_LABELS), IdxFixture.labels(0, new byte[0]));
    });
    dataRefused("test set with no examples", d, List.of("test set is empty"));
  }

  // ---- knobs and options out of range (train, prune)

  /** Each option value, with fragments of the message it gets. */
  private static final List<List<String>> KNOBS = List.of(
      List.of("--strength=-1", "--strength", "[0, 100]"),
      List.of("--strength=NaN", "--strength", "NaN"),
      List.of("--strength=101", "--strength", "[0, 100]"),
      List.of("--flops-share=1.5", "--flops-share", "[0, 1]"),
      List.of("--layer-share=-0.1", "--layer-share", "[0, 1]"),
      List.of("--lr=0", "--lr", "must be positive"),
      List.of("--lr=Infinity", "--lr", "must be positive"),
      List.of("--final-lr=0.1", "--final-lr", "[0, 0.001]"),
      List.of("--theta-lr=-1", "--theta-lr", "must be positive"),
      List.of("--finetune-lr=NaN", "--finetune-lr", ">= 0"),
      List.of("--epochs=0", "--epochs", "[1, 10000]"),
      List.of("--epochs=10001", "--epochs", "[1, 10000]"),
      List.of("--finetune-epochs=1", "--finetune-epochs", "[0, 1)"),
      List.of("--warmup-epochs=-1", "--warmup-epochs", ">= 0"),
      List.of("--batch-size=0", "--batch-size", "[1, 65536]"),
      List.of("--batch-size=1000", "--batch-size", "300 examples"),
      List.of("--rebuild-threshold=2", "--rebuild-threshold", "[0, 1]"),
      List.of("--target-macs=1.5", "--target-macs", "(0, 1]"),
      List.of("--target-params=0", "--target-params", "(0, 1]"),
      List.of("--target-macs=0.00001", "target MACs 0.00001 cannot be met",
          "one unit, filter or feature per layer", "--target-macs 0.00"),
      List.of("--threads=-1", "--threads", ">= 0"),
      List.of("--round-widths=0", "--round-widths", "[1, 1024]"),
      List.of("--checkpoint-every=-1", "--checkpoint-every", ">= 0"),
      List.of("--train-limit=-1", "--train-limit", ">= 0"),
      List.of("--optimizer=rmsprop", "unknown optimizer 'rmsprop'", "adam or momentum"),
      List.of("--theta-optimizer=lbfgs", "unknown theta optimizer 'lbfgs'", "sgd or adam"),
      List.of("--dataset=mnits", "mnits: no such file or directory",
          "pass a data set name (mnist"),
      List.of("--epochs=ten", "--epochs", "'ten' is not an int"));

  @Test
  void everyKnobOutOfRangeIsRefusedNamingTheOptionAndItsRange() throws IOException {
    for (List<String> k : KNOBS) {
      String option = k.get(0);
      List<String> fragments = k.subList(1, k.size());
      Path out = tmp.resolve("knob-out");
      TABLE.check("bad option value: " + option, BAD_INPUT, fragments,
          train(TinyModel.data(), out, option));
      TABLE.check("bad option value: " + option, BAD_INPUT, fragments,
          prune(TinyModel.model(), TinyModel.data(), out, option));
      assertThat(out).doesNotExist();
      assertThat(out.resolveSibling("knob-out.checkpoint")).doesNotExist();
    }
    Path out = tmp.resolve("width-out");
    TABLE.check("bad option value: --width-multiplier=0", BAD_INPUT,
        List.of("--width-multiplier", "(0, 64]"),
        train(TinyModel.data(), out, "--width-multiplier=0"));
    assertThat(out).doesNotExist();
  }

  // ---- the output

  @Test
  void anExistingOutputWithoutOverwriteIsRefusedAndLeftAsItWas() throws IOException {
    Path out = Files.createDirectories(tmp.resolve("existing"));
    Files.writeString(out.resolve("keep.txt"), "mine");
    List<String> f = List.of("already exists", "--overwrite");
    TABLE.check("output exists, no --overwrite", BAD_INPUT, f, train(TinyModel.data(), out));
    TABLE.check("output exists, no --overwrite", BAD_INPUT, f,
        prune(TinyModel.model(), TinyModel.data(), out));
    assertThat(TinyModel.list(out)).containsExactly("keep.txt");
    assertThat(Files.readString(out.resolve("keep.txt"))).isEqualTo("mine");
    assertThat(tmp.resolve("existing.checkpoint")).doesNotExist();
  }

  @Test
  void aCheckpointDirectoryThatIsAFileIsRefusedBeforeTraining() throws IOException {
    Path file = Files.writeString(tmp.resolve("ckpt-file"), "x");
    Path out = tmp.resolve("ckpt-file-out");
    CliRun r = TABLE.check("--checkpoint-dir is a file", BAD_INPUT,
        List.of("checkpoint directory", "is a file", "--checkpoint-dir"),
        train(TinyModel.data(), out, "--checkpoint-dir", file.toString()));
    assertThat(r.out()).doesNotContain("epoch");
    assertThat(out).doesNotExist();
  }

  /**
   * A read-only output location: a tmpfs remounted read-only (root ignores permission bits), or
   * else a directory made immutable with chattr; skipped only when the machine allows neither.
   */
  @Test
  void aReadOnlyOutputDirectoryIsRefusedBeforeTraining() throws IOException {
    Path ro = Files.createDirectories(tmp.resolve("read-only"));
    boolean mounted = Mounts.tmpfs(ro, "1m");
    boolean immutable = false;
    try {
      if (mounted) {
        Assumptions.assumeTrue(Mounts.readOnly(ro), () -> "cannot remount read-only: "
            + Mounts.lastFailure);
      } else {
        String mountFailure = Mounts.lastFailure;
        immutable = Mounts.immutable(ro, true);
        Assumptions.assumeTrue(immutable, () -> "needs a read-only directory, and neither "
            + "mount (" + mountFailure + ") nor chattr (" + Mounts.lastFailure + ") works here");
      }
      assertThat(Files.isWritable(ro)).isFalse();
      Path out = ro.resolve("run");
      List<String> f = List.of("not writable", "writable output directory");
      CliRun t = TABLE.check("output directory read-only", BAD_INPUT, f,
          train(TinyModel.data(), out));
      assertThat(t.out()).doesNotContain("epoch");
      TABLE.check("output directory read-only", BAD_INPUT, f,
          prune(TinyModel.model(), TinyModel.data(), out));
      assertThat(TinyModel.list(ro)).isEmpty();
    } finally {
      if (mounted) {
        assertThat(Mounts.unmount(ro)).as(Mounts.lastFailure).isTrue();
      }
      if (immutable) {
        Mounts.immutable(ro, false);
      }
    }
  }
}
