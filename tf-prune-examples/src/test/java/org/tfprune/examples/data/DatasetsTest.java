package org.tfprune.examples.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.tfprune.examples.data.TestFiles.cifarRecord;
import static org.tfprune.examples.data.TestFiles.gzip;
import static org.tfprune.examples.data.TestFiles.idxImages;
import static org.tfprune.examples.data.TestFiles.idxLabels;
import static org.tfprune.examples.data.TestFiles.ramp;
import static org.tfprune.examples.data.TestFiles.write;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {
  /** Examples per class of the original MNIST training and test sets. */
  private static final int[] MNIST_TRAIN_CLASSES = {
    5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949
  };

  private static final int[] MNIST_TEST_CLASSES = {
    980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009
  };

  /** The real MNIST, read once for all tests (about 220 MB). */
  private static Datasets.Split mnist;

  @TempDir Path dir;

  /** Frees the real MNIST for the test classes that run after this one in the same JVM. */
  @AfterAll
  static void releaseMnist() {
    mnist = null;
  }

  // ---- The real MNIST under <repo>/.cache/mnist: must be there, never skipped. ----

  private static synchronized Datasets.Split mnist() {
    if (mnist == null) {
      Path root = repositoryRoot();
      Path cache = root.resolve(".cache/mnist");
      try {
        mnist = Datasets.load("mnist", cache);
      } catch (DatasetException e) {
        fail(
            "MNIST is not readable from "
                + cache
                + ". Run `bash scripts/fetch-mnist.sh` from the repository root "
                + root
                + ", then run the tests again. Cause: "
                + e.getMessage(),
            e);
      }
    }
    return mnist;
  }

  /** Walks up from the working directory to the directory holding scripts/fetch-mnist.sh. */
  private static Path repositoryRoot() {
    Path start = Path.of("").toAbsolutePath();
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("scripts/fetch-mnist.sh"))) {
        return dir;
      }
    }
    return fail(
        "No directory at or above " + start + " holds scripts/fetch-mnist.sh: run the tests from"
            + " the tf-prune repository.");
  }

  @Test
  void realMnistHasTheOriginalCounts() {
    Datasets.Split split = mnist();

    assertThat(split.train().count()).isEqualTo(60000);
    assertThat(split.test().count()).isEqualTo(10000);
    assertThat(split.train().name()).isEqualTo("mnist-train");
    assertThat(split.test().name()).isEqualTo("mnist-test");
    assertThat(split.train().featureShape()).containsExactly(28, 28, 1);
    assertThat(split.test().featureShape()).containsExactly(28, 28, 1);
    assertThat(split.train().numClasses()).isEqualTo(10);
  }

  @Test
  void realMnistHasTheOriginalLabels() {
    Datasets.Split split = mnist();

    assertThat(split.train().classCounts()).containsExactly(MNIST_TRAIN_CLASSES);
    assertThat(split.test().classCounts()).containsExactly(MNIST_TEST_CLASSES);
    assertThat(IntStream.of(split.train().classCounts()).sum()).isEqualTo(60000);
    assertThat(IntStream.of(split.test().classCounts()).sum()).isEqualTo(10000);
    assertThat(split.train().labels(new int[] {0, 1, 2, 3, 4})).containsExactly(5, 0, 4, 1, 9);
    assertThat(split.test().labels(new int[] {0, 1, 2, 3, 4})).containsExactly(7, 2, 1, 0, 4);
  }

  @Test
  void realMnistPixelsAreScaledToTheUnitInterval() {
    LabeledImages train = mnist().train();
    var buffer = train.featureBuffer();
    assertThat(buffer.remaining()).isEqualTo(60000 * 784);
    float min = Float.MAX_VALUE;
    float max = -Float.MAX_VALUE;
    double sum = 0;
    while (buffer.hasRemaining()) {
      float v = buffer.get();
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
    }
    assertThat(min).isEqualTo(0f);
    assertThat(max).isEqualTo(1f);
    // The well-known MNIST training mean, 0.1307.
    assertThat(sum / (60000.0 * 784)).isBetween(0.1302, 0.1312);
    // First training image (a 5): its centre row 14 column 14 is byte 240.
    assertThat(train.features(new int[] {0})[14 * 28 + 14]).isEqualTo(240 / 255f);
  }

  @Test
  void defaultMnistRootIsTheRepositoryCache() {
    assertThat(Datasets.defaultRoot("mnist"))
        .contains(repositoryRoot().resolve(".cache/mnist"));
  }

  // ---- Real Fashion-MNIST (fetched by scripts/fetch-fashion-mnist.sh, which scripts/test.sh runs). ----

  @Test
  void realFashionMnistLoadsFromTheDefaultDirectory() {
    Datasets.Split split = Datasets.load("fashion-mnist");

    assertThat(split.train().count()).isEqualTo(60000);
    assertThat(split.test().count()).isEqualTo(10000);
    assertThat(split.train().featureShape()).containsExactly(28, 28, 1);
    int[] train = new int[10];
    Arrays.fill(train, 6000);
    int[] test = new int[10];
    Arrays.fill(test, 1000);
    assertThat(split.train().classCounts()).containsExactly(train);
    assertThat(split.test().classCounts()).containsExactly(test);
  }

  // ---- Locating files, on small data sets made here. ----

  @Test
  void loadsIdxFilesRawOrGzipped() {
    write(dir.resolve("train-images-idx3-ubyte.gz"), gzip(idxImages(2, 28, 28, ramp(2 * 784, 0))));
    write(dir.resolve("train-labels-idx1-ubyte"), idxLabels((byte) 1, (byte) 8));
    write(dir.resolve("t10k-images-idx3-ubyte"), idxImages(1, 28, 28, ramp(784, 9)));
    write(dir.resolve("t10k-labels-idx1-ubyte.gz"), gzip(idxLabels((byte) 3)));

    Datasets.Split split = Datasets.load("Fashion_MNIST", dir);

    assertThat(split.train().name()).isEqualTo("fashion-mnist-train");
    assertThat(split.train().labels()).containsExactly(1, 8);
    assertThat(split.test().labels()).containsExactly(3);
    assertThat(split.test().features(new int[] {0})[0]).isEqualTo(9 / 255f);
  }

  @Test
  void missingMnistDirectoryTellsToRunTheFetchScript() {
    Path missing = dir.resolve("no-mnist");

    assertThatThrownBy(() -> Datasets.load("mnist", missing))
        .isInstanceOf(DatasetException.class)
        .hasMessageContaining(missing.toString())
        .hasMessageContaining("does not exist")
        .hasMessageContaining("bash scripts/fetch-mnist.sh");
  }

  @Test
  void missingMnistFileIsNamedWithBothSpellings() {
    write(dir.resolve("train-images-idx3-ubyte"), idxImages(1, 28, 28, new byte[784]));

    assertThatThrownBy(() -> Datasets.load("mnist", dir))
        .isInstanceOf(DatasetException.class)
        .hasMessageContaining(dir.resolve("train-labels-idx1-ubyte") + ": file not found")
        .hasMessageContaining("train-labels-idx1-ubyte.gz")
        .hasMessageContaining("bash scripts/fetch-mnist.sh");
  }

  @Test
  void defaultFashionMnistRootIsTheRepositoryCacheOnceFetched() {
    Path cache = repositoryRoot().resolve(".cache/fashion-mnist");
    assumeThat(Files.isDirectory(cache)).as("run bash scripts/fetch-fashion-mnist.sh").isTrue();

    assertThat(Datasets.defaultRoot("fashion-mnist")).contains(cache);
  }

  @Test
  void missingFashionMnistTellsToRunTheFetchScript() {
    Path missing = dir.resolve("none");

    assertThatThrownBy(() -> Datasets.load("fashion-mnist", missing))
        .isInstanceOf(DatasetException.class)
        .hasMessageContaining(missing.toString())
        .hasMessageContaining("does not exist")
        .hasMessageContaining("bash scripts/fetch-fashion-mnist.sh");
  }

  @Test
  void loadsCifar10FromTheBatchDirectoryOrItsParent() {
    Path batches = dir.resolve("cifar-10-batches-bin");
    for (int i = 1; i <= 5; i++) {
      write(batches.resolve("data_batch_" + i + ".bin"), cifarRecord(i, i));
    }
    write(batches.resolve("test_batch.bin.gz"), gzip(cifarRecord(0, 0)));

    Datasets.Split fromParent = Datasets.load("CIFAR-10", dir);
    Datasets.Split fromBatches = Datasets.load("cifar10", batches);

    assertThat(fromParent.train().labels()).containsExactly(1, 2, 3, 4, 5);
    assertThat(fromParent.test().labels()).containsExactly(0);
    assertThat(fromParent.train().featureShape()).containsExactly(32, 32, 3);
    assertThat(fromParent.train().name()).isEqualTo("cifar10-train");
    assertThat(fromBatches).isEqualTo(fromParent);
  }

  @Test
  void missingCifar10FilesAreListedWithWhereToPutThem() {
    write(dir.resolve("data_batch_1.bin"), cifarRecord(1, 1));

    assertThatThrownBy(() -> Datasets.load("cifar10", dir))
        .isInstanceOf(DatasetException.class)
        .hasMessageContaining(dir.toString())
        .hasMessageContaining(
            "missing: data_batch_2.bin, data_batch_3.bin, data_batch_4.bin, data_batch_5.bin,"
                + " test_batch.bin")
        .hasMessageContaining("cannot be downloaded")
        .hasMessageContaining("cifar-10-batches-bin");
  }

  @Test
  void cifar10HasNoDefaultDirectory() {
    assertThat(Datasets.defaultRoot("cifar10")).isEmpty();
    assertThatThrownBy(() -> Datasets.load("cifar10"))
        .isInstanceOf(DatasetException.class)
        .hasMessageContaining("cifar10 has no default data directory")
        .hasMessageContaining("cifar-10-batches-bin");
  }

  @Test
  void unknownNameListsTheKnownOnes() {
    assertThatThrownBy(() -> Datasets.load("imagenet", dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown data set 'imagenet'")
        .hasMessageContaining("[mnist, fashion-mnist, cifar10]");
  }

  @Test
  void findsTheRepositoryRootFromASubdirectory() {
    write(dir.resolve("scripts/fetch-mnist.sh"), new byte[0]);
    Path deep = dir.resolve("a/b/c");

    assertThat(Datasets.findRepositoryRoot(deep)).contains(dir.toAbsolutePath());
    assertThat(Datasets.findRepositoryRoot(dir.resolve("scripts"))).contains(dir.toAbsolutePath());
  }

  @Test
  void splitRejectsPartsOfDifferentShapes() {
    LabeledImages a = LabeledImages.of("a", new int[] {2}, new float[2], new int[] {0}, 2);
    LabeledImages b = LabeledImages.of("b", new int[] {3}, new float[3], new int[] {0}, 2);

    assertThatThrownBy(() -> new Datasets.Split(a, b))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("feature shapes differ: [2] vs [3]");
  }
}
