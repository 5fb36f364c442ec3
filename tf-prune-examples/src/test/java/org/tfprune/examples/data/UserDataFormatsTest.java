package org.tfprune.examples.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tfprune.data.DataLoader;
import org.tfprune.data.DataSource;
import org.tfprune.data.InMemoryData;
import org.tfprune.data.InputScale;
import org.tfprune.data.MnistFiles;

/**
 * The same 1,000 MNIST examples written as IDX, TFRecord (raw bytes in 1 shard, PNG in 4 shards)
 * and .npz: every reader gives the IDX reader's examples in the same order, to the bit.
 */
class UserDataFormatsTest {
  static final int N = 1000;
  static MnistFiles.Raw raw;
  @TempDir
  static Path dir;
  static InMemoryData idx;

  @BeforeAll
  static void writeFiles() {
    raw = MnistFiles.raw(N);
    byte[] labels = new byte[N];
    for (int i = 0; i < N; i++) {
      labels[i] = (byte) raw.labels()[i];
    }
    Path idxDir = dir.resolve("idx");
    TestFiles.write(idxDir.resolve("train-images-idx3-ubyte"),
        TestFiles.idxImages(N, 28, 28, raw.pixels()));
    TestFiles.write(idxDir.resolve("train-labels-idx1-ubyte.gz"),
        TestFiles.gzip(TestFiles.idxLabels(labels)));
    idx = DataLoader.readAll(Datasets.idxReader(idxDir, true, InputScale.AUTO), 10);
    MnistFiles.writeTfRecord(dir.resolve("raw.tfrecord"), MnistFiles.rawExamples(raw));
    MnistFiles.writeShards(dir, "png", MnistFiles.pngExamples(raw), 4);
    MnistFiles.writeNpz(dir.resolve("mnist.npz"), true, "x_train", MnistFiles.imagesNpy(raw),
        "y_train", MnistFiles.labelsNpy(raw.labels()));
  }

  private static InMemoryData read(DataSource source) {
    return DataLoader.readAll(source.openTrain(), 10);
  }

  @Test
  void theIdxReaderGivesTheBytesOver255() {
    assertThat(idx.features()).isEqualTo(raw.scaled());
    assertThat(idx.labels()).isEqualTo(raw.labels());
  }

  @Test
  void rawTfRecordInOneShardEqualsIdx() {
    InMemoryData d = read(new DataSource(dir.resolve("raw.tfrecord").toString(), null, null,
        null, null, null, new int[] {28, 28, 1}, InputScale.AUTO));
    assertThat(d.features()).isEqualTo(idx.features());
    assertThat(d.labels()).isEqualTo(idx.labels());
  }

  @Test
  void pngTfRecordInFourShardsEqualsIdx() {
    InMemoryData d = read(DataSource.of(dir + "/png-*.tfrecord"));
    assertThat(d.features()).isEqualTo(idx.features());
    assertThat(d.labels()).isEqualTo(idx.labels());
  }

  @Test
  void npzEqualsIdx() {
    InMemoryData d = read(DataSource.of(dir.resolve("mnist.npz").toString()));
    assertThat(d.features()).isEqualTo(idx.features());
    assertThat(d.labels()).isEqualTo(idx.labels());
  }

  @Test
  void anExplicitScaleOnIdxAppliesToTheBytes() {
    InMemoryData d = DataLoader.readAll(Datasets.idxReader(dir.resolve("idx"), true,
        InputScale.parse("2")), 10);
    float[] expected = new float[N * 784];
    for (int i = 0; i < expected.length; i++) {
      expected[i] = 2f * (raw.pixels()[i] & 0xFF);
    }
    assertThat(d.features()).isEqualTo(expected);
    assertThat(Arrays.equals(d.labels(), raw.labels())).isTrue();
  }
}
