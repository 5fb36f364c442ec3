package org.tfprune.examples.data;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.tfprune.data.ArrayReader;
import org.tfprune.data.ExampleReader;
import org.tfprune.data.InMemoryData;
import org.tfprune.data.InputScale;

/**
 * Loads the supported data sets by name: {@value #MNIST}, {@value #FASHION_MNIST} and {@value
 * #CIFAR10}.
 *
 * <p>Where the files are looked for by default:
 *
 * <ul>
 *   <li>MNIST: {@code .cache/mnist} under the repository root (found by walking up from the working
 *       directory to the directory holding {@code scripts/fetch-mnist.sh}), filled by {@code bash
 *       scripts/fetch-mnist.sh};
 *   <li>Fashion-MNIST: {@code .cache/fashion-mnist} under the repository root, filled by {@code
 *       bash scripts/fetch-fashion-mnist.sh}; when that directory does not exist, {@code
 *       /usr/share/datasets/fashion-mnist}, where Debian's package {@code dataset-fashion-mnist}
 *       puts the files;
 *   <li>CIFAR-10: no default; pass the {@code cifar-10-batches-bin} directory.
 * </ul>
 *
 * <p>Each file may be raw or gzipped, named with or without {@code .gz}.
 */
public final class Datasets {
  /** MNIST handwritten digits: 60000 + 10000 images of {@code {28, 28, 1}}, 10 classes. */
  public static final String MNIST = "mnist";

  /** Fashion-MNIST: 60000 + 10000 images of {@code {28, 28, 1}}, 10 classes. */
  public static final String FASHION_MNIST = "fashion-mnist";

  /** CIFAR-10: 50000 + 10000 images of {@code {32, 32, 3}}, 10 classes. */
  public static final String CIFAR10 = "cifar10";

  /** The names {@link #load} accepts. */
  public static final List<String> NAMES = List.of(MNIST, FASHION_MNIST, CIFAR10);

  /**
   * Where Debian's package {@code dataset-fashion-mnist} puts the Fashion-MNIST files; the
   * fallback when the repository's {@code .cache/fashion-mnist} does not exist.
   */
  public static final Path FASHION_MNIST_SYSTEM_DIR = Path.of("/usr/share/datasets/fashion-mnist");

  /** The script, relative to the repository root, that marks the root and fetches MNIST. */
  static final String FETCH_MNIST_SCRIPT = "scripts/fetch-mnist.sh";

  /** The MNIST directory relative to the repository root. */
  static final String MNIST_CACHE = ".cache/mnist";

  /** The Fashion-MNIST directory relative to the repository root. */
  static final String FASHION_MNIST_CACHE = ".cache/fashion-mnist";

  private static final String MNIST_HOW_TO =
      "To get MNIST, run `bash scripts/fetch-mnist.sh` from the repository root; it puts the files"
          + " into .cache/mnist.";
  private static final String FASHION_MNIST_HOW_TO =
      "To get Fashion-MNIST, run `bash scripts/fetch-fashion-mnist.sh` from the repository root;"
          + " it puts the files into .cache/fashion-mnist (from Debian's package"
          + " dataset-fashion-mnist).";
  private static final String CIFAR10_HOW_TO =
      "CIFAR-10 cannot be downloaded on this machine: copy the binary version"
          + " (cifar-10-binary.tar.gz) here, extract it, and pass the extracted directory"
          + " cifar-10-batches-bin (holding data_batch_1.bin .. data_batch_5.bin and"
          + " test_batch.bin), or its parent, as the data root.";

  private Datasets() {}

  /** A data set's training and test parts, which share feature shape and number of classes. */
  public record Split(LabeledImages train, LabeledImages test) {
    /** Checks that both parts are present and agree in feature shape and number of classes. */
    public Split {
      checkNotNull(train, "train");
      checkNotNull(test, "test");
      checkArgument(
          Arrays.equals(train.featureShape(), test.featureShape()),
          "train and test feature shapes differ: %s vs %s",
          Arrays.toString(train.featureShape()),
          Arrays.toString(test.featureShape()));
      checkArgument(
          train.numClasses() == test.numClasses(),
          "train and test numbers of classes differ: %s vs %s",
          train.numClasses(),
          test.numClasses());
    }
  }

  /**
   * Loads a data set from its default directory; see {@link #defaultRoot}.
   *
   * @throws IllegalArgumentException if the name is unknown
   * @throws DatasetException if the data set has no default directory (CIFAR-10) or its files are
   *     missing or malformed
   */
  public static Split load(String name) {
    String canonical = canonicalName(name);
    Path root =
        defaultRoot(canonical)
            .orElseThrow(
                () ->
                    new DatasetException(
                        canonical + " has no default data directory. " + howToGetData(canonical)));
    return load(canonical, root);
  }

  /**
   * Loads a data set from {@code dataRoot}.
   *
   * @param name {@value #MNIST}, {@value #FASHION_MNIST} or {@value #CIFAR10}; case and {@code -}
   *     vs {@code _} do not matter, and {@code cifar-10} is accepted
   * @param dataRoot the directory holding the data set's files (for CIFAR-10, {@code
   *     cifar-10-batches-bin} or its parent)
   * @throws IllegalArgumentException if the name is unknown
   * @throws DatasetException if files are missing or malformed
   */
  public static Split load(String name, Path dataRoot) {
    String canonical = canonicalName(name);
    checkNotNull(dataRoot, "dataRoot");
    return switch (canonical) {
      case MNIST, FASHION_MNIST -> loadIdx(canonical, dataRoot, howToGetData(canonical));
      case CIFAR10 -> loadCifar10(dataRoot);
      default -> throw new AssertionError(canonical);
    };
  }

  /**
   * The directory {@link #load(String)} reads a data set from, or empty for CIFAR-10. For MNIST,
   * {@code <repository root>/.cache/mnist}, or {@code .cache/mnist} relative to the working
   * directory when no repository root is found above it. For Fashion-MNIST the same with {@code
   * .cache/fashion-mnist}, unless that directory does not exist and {@link
   * #FASHION_MNIST_SYSTEM_DIR} does.
   */
  public static Optional<Path> defaultRoot(String name) {
    return switch (canonicalName(name)) {
      case MNIST -> Optional.of(inRepository(MNIST_CACHE));
      case FASHION_MNIST -> {
        Path cache = inRepository(FASHION_MNIST_CACHE);
        yield Optional.of(!Files.isDirectory(cache) && Files.isDirectory(FASHION_MNIST_SYSTEM_DIR)
            ? FASHION_MNIST_SYSTEM_DIR
            : cache);
      }
      default -> Optional.empty();
    };
  }

  /** {@code relative} under the repository root, or under the working directory if none. */
  private static Path inRepository(String relative) {
    return findRepositoryRoot(Path.of(""))
        .map(root -> root.resolve(relative))
        .orElse(Path.of(relative));
  }

  /**
   * The nearest directory at or above {@code start} that holds {@code scripts/fetch-mnist.sh}.
   */
  static Optional<Path> findRepositoryRoot(Path start) {
    for (Path dir = start.toAbsolutePath().normalize(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve(FETCH_MNIST_SCRIPT))) {
        return Optional.of(dir);
      }
    }
    return Optional.empty();
  }

  /** The canonical form of a data set name; throws {@link IllegalArgumentException} if unknown. */
  static String canonicalName(String name) {
    checkNotNull(name, "name");
    String key = name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
    String canonical =
        switch (key) {
          case "mnist" -> MNIST;
          case "fashion-mnist", "fashionmnist" -> FASHION_MNIST;
          case "cifar10", "cifar-10" -> CIFAR10;
          default -> null;
        };
    checkArgument(canonical != null, "unknown data set '%s'; known data sets: %s", name, NAMES);
    return canonical;
  }

  private static String howToGetData(String canonical) {
    return switch (canonical) {
      case MNIST -> MNIST_HOW_TO;
      case FASHION_MNIST -> FASHION_MNIST_HOW_TO;
      default -> CIFAR10_HOW_TO;
    };
  }

  private static Split loadIdx(String name, Path dir, String howTo) {
    checkDirectory(name, dir, howTo);
    LabeledImages train =
        IdxReader.read(
            name + "-train",
            locate(dir, "train-images-idx3-ubyte", howTo),
            locate(dir, "train-labels-idx1-ubyte", howTo),
            howTo);
    LabeledImages test =
        IdxReader.read(
            name + "-test",
            locate(dir, "t10k-images-idx3-ubyte", howTo),
            locate(dir, "t10k-labels-idx1-ubyte", howTo),
            howTo);
    return new Split(train, test);
  }

  private static Split loadCifar10(Path dataRoot) {
    Path dir = dataRoot;
    Path nested = dataRoot.resolve("cifar-10-batches-bin");
    if (Files.isDirectory(nested)) {
      dir = nested;
    }
    checkDirectory(CIFAR10, dir, CIFAR10_HOW_TO);
    List<String> missing = new ArrayList<>();
    List<Path> train = new ArrayList<>();
    for (String file : Cifar10Reader.TRAIN_FILES) {
      findFile(dir, file).ifPresentOrElse(train::add, () -> missing.add(file));
    }
    List<Path> test = new ArrayList<>();
    for (String file : Cifar10Reader.TEST_FILES) {
      findFile(dir, file).ifPresentOrElse(test::add, () -> missing.add(file));
    }
    if (!missing.isEmpty()) {
      throw new DatasetException(
          String.format(
              "%s: CIFAR-10 batch files missing: %s (also looked for the same names with .gz). %s",
              dir, String.join(", ", missing), CIFAR10_HOW_TO));
    }
    return new Split(
        Cifar10Reader.read(CIFAR10 + "-train", train, CIFAR10_HOW_TO),
        Cifar10Reader.read(CIFAR10 + "-test", test, CIFAR10_HOW_TO));
  }

  private static void checkDirectory(String name, Path dir, String howTo) {
    if (!Files.isDirectory(dir)) {
      throw DatasetException.forFile(
          dir,
          Files.exists(dir)
              ? "is not a directory, expected the " + name + " data directory"
              : "the " + name + " data directory does not exist",
          howTo);
    }
  }

  /** {@code dir/baseName} if it exists, else {@code dir/baseName.gz}, else a DatasetException. */
  private static Path locate(Path dir, String baseName, String howTo) {
    return findFile(dir, baseName)
        .orElseThrow(
            () ->
                DatasetException.forFile(
                    dir.resolve(baseName),
                    "file not found (nor " + baseName + ".gz)",
                    howTo));
  }

  private static Optional<Path> findFile(Path dir, String baseName) {
    for (String candidate : List.of(baseName, baseName + ".gz")) {
      Path path = dir.resolve(candidate);
      if (Files.isRegularFile(path)) {
        return Optional.of(path);
      }
    }
    return Optional.empty();
  }

  /** Whether {@code nameOrPath} is one of the data set names {@link #load} accepts. */
  public static boolean isName(String nameOrPath) {
    try {
      canonicalName(nameOrPath);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * The IDX files of one split in {@code dir} ({@code train-*} or {@code t10k-*}, raw or gzipped)
   * as a reader, values scaled by {@code scale} (automatic: {@code b / 255}, as {@link
   * IdxReader} gives them).
   *
   * @throws DatasetException if the files are missing or malformed
   */
  public static ExampleReader idxReader(Path dir, boolean train, InputScale scale) {
    checkNotNull(dir, "dir");
    checkNotNull(scale, "scale");
    String howTo = "Pass a directory holding train-images-idx3-ubyte, train-labels-idx1-ubyte,"
        + " t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (raw or .gz).";
    checkDirectory("IDX", dir, howTo);
    String prefix = train ? "train" : "t10k";
    Path base = dir.toAbsolutePath().normalize().getFileName();
    LabeledImages images = IdxReader.read((base == null ? "idx" : base) + "-" + prefix,
        locate(dir, prefix + "-images-idx3-ubyte", howTo),
        locate(dir, prefix + "-labels-idx1-ubyte", howTo), howTo);
    return reader(images, scale);
  }

  /** Whether {@code dir} holds the IDX test split ({@code t10k-*}). */
  public static boolean hasIdxTestSplit(Path dir) {
    return findFile(dir, "t10k-images-idx3-ubyte").isPresent()
        && findFile(dir, "t10k-labels-idx1-ubyte").isPresent();
  }

  /**
   * A data set in memory as a reader. Its pixels are {@code b / 255}; a scale other than the
   * automatic one (or {@code 1/255}) applies to the bytes {@code b} instead.
   */
  public static ExampleReader reader(LabeledImages images, InputScale scale) {
    checkNotNull(images, "images");
    float[] x = images.features(range(images.count()));
    InputScale bytes = scale.forBytes();
    if (bytes.numerator() != 1 || bytes.denominator() != 255) {
      for (int i = 0; i < x.length; i++) {
        x[i] = bytes.apply(Math.round(x[i] * 255f));
      }
    }
    return ArrayReader.of(images.name(), images.featureShape(), x, images.labels());
  }

  /** Checked in-memory data as a {@link LabeledImages}. */
  public static LabeledImages images(InMemoryData data) {
    checkNotNull(data, "data");
    return LabeledImages.adopt(data.name(), data.exampleShape(), data.features(), data.labels(),
        data.numClasses());
  }

  private static int[] range(int n) {
    int[] idx = new int[n];
    for (int i = 0; i < n; i++) {
      idx[i] = i;
    }
    return idx;
  }

}
