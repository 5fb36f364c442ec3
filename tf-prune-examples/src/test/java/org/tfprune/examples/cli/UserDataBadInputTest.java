package org.tfprune.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.tfprune.data.MnistFiles;

/**
 * {@code tf-prune train}, {@code prune} and {@code evaluate} on the user's own files when they are
 * bad: a TFRecord cut short or with a wrong length or payload CRC, a feature key the records lack,
 * an {@code .npz} without the named arrays, images and labels of different counts, a NaN value, a
 * label beyond the classes, images of another shape than the model's. Each is refused before
 * training with exit code 2, a message naming the file, the record and the fix, and nothing
 * written. The observed messages are the table in {@code docs/bad-input.md} and, one row per
 * case, the README's ({@link BadInputTable}).
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class UserDataBadInputTest {
  private static final BadInputTable TABLE = new BadInputTable("UserDataBadInputTest")
      .withReadmeSection("user-data-bad-input");
  private static final int BAD_INPUT = TfPruneCli.EXIT_BAD_INPUT;

  @TempDir
  static Path tmp;

  @BeforeAll
  static void writeFiles() throws IOException {
    TABLE.show(TinyModel.root(), "").show(tmp, "");
    MnistFiles.Raw raw = MnistFiles.raw(300);
    MnistFiles.Raw train = head(raw, 0, 250);
    MnistFiles.Raw test = head(raw, 250, 300);
    MnistFiles.writeTfRecord(tmp.resolve("train.tfrecord"), MnistFiles.rawExamples(train));
    MnistFiles.writeNpz(tmp.resolve("mnist.npz"), false, "x_train", MnistFiles.imagesNpy(train),
        "y_train", MnistFiles.labelsNpy(train.labels()), "x_test", MnistFiles.imagesNpy(test),
        "y_test", MnistFiles.labelsNpy(test.labels()));
  }

  @AfterAll
  static void documentedTablesMatchWhatWasObserved() throws IOException {
    TABLE.finish();
  }

  private static MnistFiles.Raw head(MnistFiles.Raw raw, int from, int to) {
    return new MnistFiles.Raw(Arrays.copyOfRange(raw.pixels(), from * 784, to * 784),
        Arrays.copyOfRange(raw.labels(), from, to));
  }

  private static String[] train(String out, String... data) {
    List<String> a = new ArrayList<>(List.of("train", "--epochs", "1", "--batch-size", "50",
        "--no-baseline", "--quiet", "--out", tmp.resolve(out).toString()));
    a.addAll(List.of(data));
    return a.toArray(String[]::new);
  }

  /** {@code train} on {@code data} is refused with {@code fragments}; nothing is written. */
  private static CliRun refused(String name, List<String> fragments, String out, String... data) {
    CliRun r = TABLE.check(name, BAD_INPUT, fragments, train(out, data));
    assertThat(r.out()).doesNotContain("epoch");
    assertThat(tmp.resolve(out)).doesNotExist();
    return r;
  }

  private static String path(String file) {
    return tmp.resolve(file).toString();
  }

  private static Path copyWith(String from, String to, int offset, int flip) throws IOException {
    byte[] b = Files.readAllBytes(tmp.resolve(from));
    if (offset >= 0) {
      b[offset] ^= (byte) flip;
    }
    return Files.write(tmp.resolve(to), b);
  }

  // ---- TFRecord framing: [length u64][crc of length u32][payload][crc of payload u32]

  @Test
  void aTfRecordCutShortNamesItsLastRecord() throws IOException {
    byte[] b = Files.readAllBytes(tmp.resolve("train.tfrecord"));
    Files.write(tmp.resolve("cut.tfrecord"), Arrays.copyOf(b, b.length - 7));
    refused("TFRecord file cut short", List.of("cut.tfrecord", "record 249", "again"),
        "cut-out", "--data", path("cut.tfrecord"), "--input-shape", "28,28,1",
        "--eval-fraction", "0.2");
  }

  @Test
  void aTfRecordWithAWrongLengthCrcNamesTheRecord() throws IOException {
    copyWith("train.tfrecord", "length-crc.tfrecord", 8, 0x01); // record 0's length CRC
    refused("TFRecord record with a wrong length CRC", List.of("length-crc.tfrecord",
        "record 0", "again"), "length-crc-out", "--data", path("length-crc.tfrecord"),
        "--input-shape", "28,28,1", "--eval-fraction", "0.2");
  }

  @Test
  void aTfRecordWithAWrongPayloadCrcNamesTheRecord() throws IOException {
    long first = ByteBuffer.wrap(Files.readAllBytes(tmp.resolve("train.tfrecord")), 0, 8)
        .order(ByteOrder.LITTLE_ENDIAN).getLong();
    // the last byte of record 1's payload: a pixel, so only its CRC tells
    int offset = (int) (12 + first + 4) + 12 + (int) first - 1;
    copyWith("train.tfrecord", "data-crc.tfrecord", offset, 0x01);
    refused("TFRecord record with a wrong payload CRC", List.of("data-crc.tfrecord",
        "record 1", "again"), "data-crc-out", "--data", path("data-crc.tfrecord"),
        "--input-shape", "28,28,1", "--eval-fraction", "0.2");
  }

  @Test
  void aFeatureKeyTheRecordsLackListsTheKeysTheyHave() {
    refused("TFRecord without the named feature (--image-key pixels)", List.of("pixels",
        "image", "label", "--image-key"), "key-out", "--data", path("train.tfrecord"),
        "--input-shape", "28,28,1", "--eval-fraction", "0.2", "--image-key", "pixels");
  }

  // ---- NumPy

  @Test
  void anNpzWithoutTheNamedArraysListsTheArraysItHolds() {
    refused(".npz without the named array (--image-key images)", List.of("no array 'images'",
        "x_train, y_train", "--image-key"), "array-out", "--data", path("mnist.npz"),
        "--image-key", "images");
  }

  @Test
  void imagesAndLabelsOfDifferentCountsAreRefused() {
    MnistFiles.Raw raw = MnistFiles.raw(250);
    MnistFiles.writeNpz(tmp.resolve("counts.npz"), false, "x_train", MnistFiles.imagesNpy(raw),
        "y_train", MnistFiles.labelsNpy(Arrays.copyOf(raw.labels(), 240)));
    refused("images and labels of different counts (250 images, 240 labels)",
        List.of("counts.npz", "250", "240"), "counts-out", "--data", path("counts.npz"),
        "--eval-fraction", "0.2");
  }

  @Test
  void aNanValueIsNamedWithItsRecord() {
    MnistFiles.Raw raw = MnistFiles.raw(250);
    byte[] x = MnistFiles.floatImagesNpy(raw);
    // example 17, value 300: float32 little-endian after the header
    int data = x.length - 4 * 250 * 784;
    ByteBuffer.wrap(x).order(ByteOrder.LITTLE_ENDIAN).putFloat(data + 4 * (17 * 784 + 300),
        Float.NaN);
    MnistFiles.writeNpz(tmp.resolve("nan.npz"), false, "x_train", x, "y_train",
        MnistFiles.labelsNpy(raw.labels()));
    refused("NaN value in the images", List.of("nan.npz", "record 17", "value 300", "NaN"),
        "nan-out", "--data", path("nan.npz"), "--eval-fraction", "0.2");
  }

  @Test
  void aLabelBeyondTheClassesIsNamedWithItsRecord() {
    refused("label beyond --num-classes (5 for labels 0..9)", List.of("mnist.npz", "record",
        "out of range 0..4"), "label-out", "--data", path("mnist.npz"), "--num-classes", "5");
  }

  // ---- shapes

  @Test
  void images32x32For28x28AreRefusedNamingBothShapes() throws IOException {
    byte[] px = new byte[250 * 32 * 32];
    new java.util.Random(5).nextBytes(px);
    int[] labels = new int[250];
    Arrays.setAll(labels, i -> i % 10);
    MnistFiles.writeNpz(tmp.resolve("images-32x32.npz"), false, "x_train",
        MnistFiles.npy("|u1", new long[] {250, 32, 32}, px, false), "y_train",
        MnistFiles.labelsNpy(labels), "x_test",
        MnistFiles.npy("|u1", new long[] {250, 32, 32}, px, false), "y_test",
        MnistFiles.labelsNpy(labels));
    String name = "images of another shape than the model's (32x32 for 28x28)";
    // train: evaluation data of another shape than the training data
    refused(name, List.of("[32, 32]", "[28, 28]", "evaluation data"), "shape-out", "--data",
        path("images-32x32.npz"), "--eval-data", path("mnist.npz"));
    // prune: the imported model reads 28x28
    Path pruned = tmp.resolve("shape-pruned");
    TABLE.check(name, BAD_INPUT, List.of("[32, 32]", "[?, 784]", "resize"), "prune", "--saved-model",
        TinyModel.model().toString(), "--data", path("images-32x32.npz"), "--epochs", "1",
        "--batch-size", "50", "--quiet", "--out", pruned.toString());
    assertThat(pruned).doesNotExist();
    // evaluate
    CliRun e = TABLE.check(name, BAD_INPUT, List.of("[?, 784]", "[32, 32, 1]"), "evaluate",
        "--saved-model", TinyModel.model().toString(), "--data", path("images-32x32.npz"));
    assertThat(e.out()).doesNotContain("accuracy");
  }
}
