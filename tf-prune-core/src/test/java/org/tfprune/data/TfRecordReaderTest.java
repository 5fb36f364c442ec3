package org.tfprune.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.Example;
import org.tfprune.testing.Mnist;

class TfRecordReaderTest {
  static final int N = 1000;
  static MnistFiles.Raw raw;
  static float[] idxFeatures;
  static int[] idxLabels;

  @TempDir
  Path dir;

  @BeforeAll
  static void mnist() {
    raw = MnistFiles.raw(N);
    // what the IDX reader gives: the test MNIST reader scales each byte as b / 255f
    idxFeatures = new float[N * 784];
    idxLabels = new int[N];
    int[] all = new int[N];
    for (int i = 0; i < N; i++) {
      all[i] = i;
    }
    float[] oneHot = new float[N * 10];
    Mnist.train(N).fill(all, idxFeatures, oneHot);
    for (int i = 0; i < N; i++) {
      for (int c = 0; c < 10; c++) {
        if (oneHot[i * 10 + c] == 1f) {
          idxLabels[i] = c;
        }
      }
    }
  }

  private static TfRecordReader.Options shaped() {
    return TfRecordReader.Options.DEFAULT.withExampleShape(MnistFiles.SHAPE);
  }

  @Test
  void rawBytesInOneShardGiveTheIdxExamplesInOrder() {
    Path file = dir.resolve("train.tfrecord");
    MnistFiles.writeTfRecord(file, MnistFiles.rawExamples(raw));
    TfRecordReader r = TfRecordReader.open(file.toString(), shaped());
    assertThat(r.size()).isEqualTo(N);
    assertThat(r.shards()).hasSize(1);
    Object[] read = MnistFiles.readAll(r);
    assertThat((float[]) read[0]).isEqualTo(idxFeatures);
    assertThat((int[]) read[1]).isEqualTo(idxLabels);
  }

  @Test
  void pngImagesInFourShardsGiveTheIdxExamplesInOrderWithTheirShapeFromTheImage() {
    MnistFiles.writeShards(dir, "train", MnistFiles.pngExamples(raw), 4);
    TfRecordReader r = TfRecordReader.open(dir + "/train-*.tfrecord",
        TfRecordReader.Options.DEFAULT);
    assertThat(r.shards()).hasSize(4);
    assertThat(r.exampleShape()).containsExactly(28, 28, 1);
    Object[] read = MnistFiles.readAll(r);
    assertThat((float[]) read[0]).isEqualTo(idxFeatures);
    assertThat((int[]) read[1]).isEqualTo(idxLabels);
  }

  @Test
  void floatListsAreReadAsStoredWithTheAutomaticScale() {
    List<Example> ex = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      ex.add(MnistFiles.example(MnistFiles.floatFeature(
          Arrays.copyOfRange(idxFeatures, i * 784, (i + 1) * 784)), idxLabels[i]));
    }
    Path file = dir.resolve("f.tfrecord");
    MnistFiles.writeTfRecord(file, ex);
    Object[] read = MnistFiles.readAll(TfRecordReader.open(file.toString(), shaped()));
    assertThat((float[]) read[0]).isEqualTo(Arrays.copyOf(idxFeatures, 20 * 784));
  }

  @Test
  void featureKeysAreSettable() {
    Path file = dir.resolve("k.tfrecord");
    Example e = MnistFiles.example(MnistFiles.bytesFeature(raw.image(0)), raw.labels()[0]);
    Example renamed = Example.newBuilder().setFeatures(e.getFeatures().toBuilder()
        .putFeature("pixels", e.getFeatures().getFeatureOrThrow("image"))
        .putFeature("digit", e.getFeatures().getFeatureOrThrow("label"))
        .removeFeature("image").removeFeature("label")).build();
    MnistFiles.writeTfRecord(file, List.of(renamed));
    TfRecordReader r = TfRecordReader.open(file.toString(),
        new TfRecordReader.Options("pixels", "digit", MnistFiles.SHAPE, InputScale.AUTO));
    Object[] read = MnistFiles.readAll(r);
    assertThat((int[]) read[1]).containsExactly(raw.labels()[0]);
  }

  @Test
  void aMissingFeatureKeyNamesTheKeyTheFeaturesThereAndTheOption() {
    Path file = dir.resolve("m.tfrecord");
    MnistFiles.writeTfRecord(file, MnistFiles.rawExamples(raw).subList(0, 3));
    assertThatThrownBy(() -> TfRecordReader.open(file.toString(),
        new TfRecordReader.Options("img", "label", MnistFiles.SHAPE, InputScale.AUTO)))
        .isInstanceOf(MissingFeatureException.class)
        .hasMessageContaining(file.toString()).hasMessageContaining("record 0")
        .hasMessageContaining("'img'").hasMessageContaining("[image, label]")
        .hasMessageContaining("--image-key");
  }

  @Test
  void aMissingLabelInALaterRecordNamesThatRecord() {
    List<Example> ex = new ArrayList<>(MnistFiles.rawExamples(raw).subList(0, 5));
    ex.set(3, Example.newBuilder().setFeatures(ex.get(3).getFeatures().toBuilder()
        .removeFeature("label")).build());
    Path file = dir.resolve("l.tfrecord");
    MnistFiles.writeTfRecord(file, ex);
    TfRecordReader r = TfRecordReader.open(file.toString(), shaped());
    assertThatThrownBy(() -> MnistFiles.readAll(r)).isInstanceOf(MissingFeatureException.class)
        .hasMessageContaining("record 3").hasMessageContaining("'label'")
        .hasMessageContaining("--label-key");
  }

  @Test
  void aFileCutInsideARecordIsATruncatedRecordNamingTheFileAndRecord() throws IOException {
    Path file = dir.resolve("t.tfrecord");
    MnistFiles.writeTfRecord(file, MnistFiles.rawExamples(raw).subList(0, 10));
    byte[] all = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(all, all.length - 100));
    assertThatThrownBy(() -> TfRecordReader.open(file.toString(), shaped()))
        .isInstanceOf(TruncatedRecordException.class)
        .hasMessageContaining(file.toString()).hasMessageContaining("record 9")
        .hasMessageContaining("write it again");
  }

  @Test
  void aCorruptPayloadFailsItsCrcWithTheRecordIndex() throws IOException {
    Path file = dir.resolve("c.tfrecord");
    List<Example> ex = MnistFiles.rawExamples(raw).subList(0, 10);
    MnistFiles.writeTfRecord(file, ex);
    byte[] all = Files.readAllBytes(file);
    int recordBytes = all.length / 10;
    all[recordBytes * 6 + 12 + 40] ^= 1;
    Files.write(file, all);
    TfRecordReader r = TfRecordReader.open(file.toString(), shaped());
    assertThatThrownBy(() -> MnistFiles.readAll(r)).isInstanceOf(TruncatedRecordException.class)
        .hasMessageContaining("record 6").hasMessageContaining("CRC of the record's data");
  }

  @Test
  void aCorruptLengthFailsItsCrc() throws IOException {
    Path file = dir.resolve("len.tfrecord");
    MnistFiles.writeTfRecord(file, MnistFiles.rawExamples(raw).subList(0, 4));
    byte[] all = Files.readAllBytes(file);
    all[all.length / 4 * 2] ^= 4;
    Files.write(file, all);
    assertThatThrownBy(() -> TfRecordReader.open(file.toString(), shaped()))
        .isInstanceOf(TruncatedRecordException.class).hasMessageContaining("record 2")
        .hasMessageContaining("CRC of the record's length");
  }

  @Test
  void rawBytesWithoutAShapeAskForTheInputShape() {
    Path file = dir.resolve("r.tfrecord");
    MnistFiles.writeTfRecord(file, MnistFiles.rawExamples(raw).subList(0, 2));
    assertThatThrownBy(() -> TfRecordReader.open(file.toString(), TfRecordReader.Options.DEFAULT))
        .isInstanceOf(ShapeMismatchException.class).hasMessageContaining("784 raw bytes")
        .hasMessageContaining("--input-shape");
  }

  @Test
  void rawBytesOfTheWrongSizeNameBothSizes() {
    Path file = dir.resolve("w.tfrecord");
    MnistFiles.writeTfRecord(file, MnistFiles.rawExamples(raw).subList(0, 2));
    TfRecordReader r = TfRecordReader.open(file.toString(),
        TfRecordReader.Options.DEFAULT.withExampleShape(new int[] {32, 32, 3}));
    assertThatThrownBy(() -> MnistFiles.readAll(r)).isInstanceOf(ShapeMismatchException.class)
        .hasMessageContaining("784 raw bytes").hasMessageContaining("[32, 32, 3]")
        .hasMessageContaining("3072");
  }

  @Test
  void aGlobMatchingNothingSaysSo() {
    assertThatThrownBy(() -> TfRecordReader.open(dir + "/none-*.tfrecord",
        TfRecordReader.Options.DEFAULT)).isInstanceOf(DataException.class)
        .hasMessageContaining("no file matches");
  }

  @Test
  void maskedCrcMatchesTheTfRecordFormatsKnownValue() {
    // TensorFlow's record_writer masks crc32c(""), 0, as rotr(0, 15) + 0xa282ead8
    assertThat(TfRecordFile.maskedCrc(new byte[0], 0, 0)).isEqualTo(0xa282ead8);
    // crc32c("123456789") = 0xe3069283 (RFC 3720 check value), masked by hand
    int crc = 0xe3069283;
    int masked = ((crc >>> 15) | (crc << 17)) + 0xa282ead8;
    assertThat(TfRecordFile.maskedCrc("123456789".getBytes(), 0, 9)).isEqualTo(masked);
  }

  @Test
  void jpegImagesAreDecodedByTensorFlowToTheirShape() throws IOException {
    List<Example> ex = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(28, 28,
          java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
      img.getRaster().setDataElements(0, 0, 28, 28, raw.image(i));
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      javax.imageio.ImageIO.write(img, "jpg", out);
      ex.add(MnistFiles.example(MnistFiles.bytesFeature(out.toByteArray()), raw.labels()[i]));
    }
    Path file = dir.resolve("j.tfrecord");
    MnistFiles.writeTfRecord(file, ex);
    TfRecordReader r = TfRecordReader.open(file.toString(), TfRecordReader.Options.DEFAULT);
    assertThat(r.exampleShape()).containsExactly(28, 28, 1);
    Object[] read = MnistFiles.readAll(r);
    assertThat((int[]) read[1]).containsExactly(Arrays.copyOf(raw.labels(), 3));
  }

  @Test
  void aNanInAFloatListIsRefusedWithItsFileAndRecord() {
    List<Example> ex = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      float[] v = Arrays.copyOfRange(idxFeatures, i * 784, (i + 1) * 784);
      if (i == 3) {
        v[100] = Float.NaN;
      }
      ex.add(MnistFiles.example(MnistFiles.floatFeature(v), idxLabels[i]));
    }
    Path file = dir.resolve("nan.tfrecord");
    MnistFiles.writeTfRecord(file, ex);
    TfRecordReader r = TfRecordReader.open(file.toString(), shaped());
    assertThatThrownBy(() -> DataLoader.readAll(r, 10))
        .isInstanceOf(InvalidValueException.class)
        .hasMessageContaining(file + ": record 3").hasMessageContaining("value 100")
        .hasMessageContaining("NaN");
  }
}
