package org.tfprune.examples.cli;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import org.tfprune.data.DataFormat;
import org.tfprune.data.DataLoader;
import org.tfprune.data.DataSource;
import org.tfprune.data.ExampleReader;
import org.tfprune.data.ExampleShapes;
import org.tfprune.data.InMemoryData;
import org.tfprune.data.InputScale;
import org.tfprune.data.StreamedData;
import org.tfprune.data.Subset;
import org.tfprune.examples.data.Datasets;
import org.tfprune.examples.data.ImagesTrainingData;
import org.tfprune.examples.data.LabeledImages;
import org.tfprune.train.TrainerConfig;
import org.tfprune.train.TrainingData;
import picocli.CommandLine.Option;

/**
 * Which data to train and evaluate on: a data set name, or the user's own files (TFRecord,
 * NumPy, IDX) with how to read them, and optional limits.
 */
final class DataOptions {
  @Option(names = {"--dataset", "--data"}, defaultValue = "mnist", paramLabel = "NAME|PATH|GLOB",
      description = "mnist, fashion-mnist or cifar10; or your own data: TFRecord files "
          + "('train-*.tfrecord', quoted), an .npz (Keras' mnist.npz layout; its test arrays "
          + "serve evaluation), a directory of .npy arrays, or a directory of IDX files. "
          + "Default: ${DEFAULT-VALUE}.")
  String dataset;

  @Option(names = "--data-dir", description = "Directory holding the data set's files "
      + "(default: .cache/mnist for MNIST, .cache/fashion-mnist for Fashion-MNIST, filled by "
      + "scripts/fetch-mnist.sh and scripts/fetch-fashion-mnist.sh).")
  Path dataDir;

  @Option(names = "--eval-data", paramLabel = "PATH|GLOB",
      description = "Your evaluation data, in the same format as --data.")
  String evalData;

  @Option(names = "--eval-fraction", defaultValue = "0",
      description = "Hold out this last fraction of --data for evaluation (as Keras' "
          + "validation_split), when there is no --eval-data and the data has no test split.")
  double evalFraction;

  @Option(names = "--data-format", paramLabel = "tfrecord|npz|npy|idx",
      description = "Format of --data (default: from the extension, or a directory's files).")
  String dataFormat;

  @Option(names = "--image-key", description = "TFRecord image feature (default: image), or "
      + "NumPy training image array (default: x_train).")
  String imageKey;

  @Option(names = "--label-key", description = "TFRecord label feature (default: label), or "
      + "NumPy training label array (default: y_train).")
  String labelKey;

  @Option(names = "--eval-image-key", description = "NumPy evaluation image array "
      + "(default: x_test).")
  String evalImageKey;

  @Option(names = "--eval-label-key", description = "NumPy evaluation label array "
      + "(default: y_test).")
  String evalLabelKey;

  @Option(names = "--input-scale", defaultValue = "auto", description = "Factor applied to every "
      + "stored value, a number or a fraction such as 1/255. Default auto: 1/255 for bytes "
      + "(uint8 arrays, raw, PNG and JPEG images), 1 for floats.")
  String inputScale;

  @Option(names = "--input-shape", split = ",", paramLabel = "D",
      description = "Shape of one example, e.g. 28,28,1: needed for TFRecord images stored as "
          + "raw bytes or float lists, which do not carry their shape.")
  int[] inputShape;

  @Option(names = "--num-classes", defaultValue = "0",
      description = "Number of classes (default: the largest training label + 1).")
  int numClasses;

  @Option(names = "--stream", description = "Stream the training data from disk in shuffled "
      + "batches even if it fits in memory (it is streamed anyway when it takes more than "
      + "40%% of the maximum heap). Evaluation data is always held in memory.")
  boolean stream;

  @Option(names = "--train-limit", defaultValue = "0",
      description = "Use only the first N training examples (0 = all), for quick runs.")
  int trainLimit;

  @Option(names = "--test-limit", defaultValue = "0",
      description = "Use only the first N test examples (0 = all).")
  int testLimit;

  /** Training data (in memory or streamed) and evaluation data in memory. Close it. */
  record Loaded(String name, TrainingData train, LabeledImages test, int[] featureShape,
      int numClasses) implements AutoCloseable {
    /** How the streamed training data kept up, if it was streamed. */
    Optional<String> streamReport() {
      return train instanceof StreamedData s ? Optional.of(s.stats().toString())
          : Optional.empty();
    }

    @Override
    public void close() {
      if (train instanceof StreamedData s) {
        s.close();
      }
    }
  }

  private DataFormat format() {
    return dataFormat == null ? null : DataFormat.parse(dataFormat);
  }

  /** Evaluation data at {@code path}, in the format given or its own. */
  private ExampleReader openEvaluation(String path, int[] trainShape, InputScale scale) {
    DataFormat f = format() != null ? format() : DataFormat.detect(path);
    if (f == DataFormat.IDX) {
      Path dir = Path.of(path);
      return Datasets.idxReader(dir, !Datasets.hasIdxTestSplit(dir), scale);
    }
    int[] shape = inputShape != null ? inputShape : f == DataFormat.TFRECORD ? trainShape : null;
    return new DataSource(path, f, imageKey, labelKey, evalImageKey, evalLabelKey, shape, scale)
        .openAsEvaluation();
  }

  /** Whether {@code --data} names a built-in data set rather than files. */
  boolean isNamedDataset() {
    return Datasets.isName(dataset) && dataFormat == null;
  }

  /** A short name for reports and output directories: the data set name or the file stem. */
  String name() {
    if (isNamedDataset()) {
      return dataset;
    }
    Path fileName = Path.of(dataset.replaceAll("[*?\\[\\]{}]", "")).normalize()
        .getFileName();
    String file = fileName == null ? "" : fileName.toString();
    String stem = file.replaceAll("\\.(tfrecords?|tfr|npz|npy|gz)$", "")
        .replaceAll("[^A-Za-z0-9._-]+", "-").replaceAll("^[-.]+|[-.]+$", "");
    return stem.isEmpty() ? "data" : stem;
  }

  /** The named data set, limited as asked (user files: see {@link #load(TrainerConfig)}). */
  Datasets.Split load() {
    Datasets.Split split = dataDir != null ? Datasets.load(dataset, dataDir)
        : Datasets.load(dataset);
    return new Datasets.Split(trainLimit > 0 ? split.train().head(trainLimit) : split.train(),
        testLimit > 0 ? split.test().head(testLimit) : split.test());
  }

  /**
   * The evaluation data of the user's files, for {@code evaluate}: {@code --eval-data} when given;
   * else the evaluation part of {@code --data} (an {@code .npz}'s test arrays, a directory's
   * {@code x_test.npy} or {@code t10k-*} files, or the last {@code --eval-fraction} of it); else
   * all of {@code --data}. Limited by {@code --test-limit}, checked and held in memory.
   */
  LabeledImages loadEvaluation() {
    InputScale scale = InputScale.parse(inputScale);
    ExampleReader eval;
    if (evalData != null) {
      eval = openEvaluation(evalData, inputShape, scale);
    } else {
      DataSource source = new DataSource(dataset, format(), imageKey, labelKey, evalImageKey,
          evalLabelKey, inputShape, scale);
      if (source.resolvedFormat() == DataFormat.IDX) {
        Path dir = Path.of(dataset);
        eval = Datasets.idxReader(dir, !Datasets.hasIdxTestSplit(dir), scale);
      } else {
        Optional<ExampleReader> bundled = source.openBundledEvaluation();
        if (bundled.isPresent()) {
          eval = bundled.get();
        } else if (evalFraction > 0) {
          if (evalFraction >= 1) {
            throw new IllegalArgumentException("--eval-fraction " + evalFraction + " must be "
                + "below 1: it is the fraction of --data held out for evaluation");
          }
          eval = Subset.holdOut(source.openTrain(), evalFraction)[1];
        } else {
          eval = source.openTrain();
        }
      }
    }
    if (testLimit > 0 && testLimit < eval.size()) {
      eval = Subset.of(eval, 0, testLimit);
    }
    return images(DataLoader.readAll(eval, numClasses));
  }

  /** Examples in memory as images; a grayscale array (examples, height, width) has 1 channel. */
  private static LabeledImages images(InMemoryData data) {
    int[] shape = data.exampleShape();
    return shape.length != 2 ? Datasets.images(data) : LabeledImages.of(data.name(),
        new int[] {shape[0], shape[1], 1}, data.features(), data.labels(), data.numClasses());
  }

  /**
   * The training and evaluation data, checked: a named data set or the user's files, the
   * training set streamed when asked or when it does not fit the heap.
   */
  Loaded load(TrainerConfig config) {
    InputScale scale = InputScale.parse(inputScale);
    ExampleReader train;
    ExampleReader bundledEval;
    if (isNamedDataset()) {
      Datasets.Split split = load();
      if (scale.auto() && !stream && evalData == null && evalFraction == 0) {
        return new Loaded(dataset, new ImagesTrainingData(split.train()), split.test(),
            split.train().featureShape(), split.train().numClasses());
      }
      train = Datasets.reader(split.train(), scale);
      bundledEval = Datasets.reader(split.test(), scale);
    } else {
      DataSource source = new DataSource(dataset, format(), imageKey, labelKey, evalImageKey,
          evalLabelKey, inputShape, scale);
      if (source.resolvedFormat() == DataFormat.IDX) {
        Path dir = Path.of(dataset);
        train = Datasets.idxReader(dir, true, scale);
        bundledEval = Datasets.hasIdxTestSplit(dir) ? Datasets.idxReader(dir, false, scale)
            : null;
      } else {
        train = source.openTrain();
        bundledEval = source.openBundledEvaluation().orElse(null);
      }
    }
    ExampleReader eval;
    if (evalData != null) {
      eval = openEvaluation(evalData, train.exampleShape(), scale);
    } else if (evalFraction > 0) {
      if (evalFraction >= 1) {
        throw new IllegalArgumentException("--eval-fraction " + evalFraction + " must be "
            + "below 1: it is the fraction of --data held out for evaluation");
      }
      Subset[] parts = Subset.holdOut(train, evalFraction);
      train = parts[0];
      eval = parts[1];
    } else if (bundledEval != null) {
      eval = bundledEval;
    } else {
      throw new IllegalArgumentException(dataset + " has no evaluation data: pass "
          + "--eval-data PATH, or hold out a fraction of it with --eval-fraction 0.1");
    }
    if (trainLimit > 0 && trainLimit < train.size()) {
      train = Subset.of(train, 0, trainLimit);
    }
    if (testLimit > 0 && testLimit < eval.size()) {
      eval = Subset.of(eval, 0, testLimit);
    }
    if (!ExampleShapes.compatible(train.exampleShape(), eval.exampleShape())) {
      throw new IllegalArgumentException(String.format(Locale.ROOT, "the training data has "
          + "examples of shape %s but the evaluation data %s: pass evaluation data of the "
          + "training data's shape", Arrays.toString(train.exampleShape()),
          Arrays.toString(eval.exampleShape())));
    }
    DataLoader.Options options = DataLoader.Options.of(null, numClasses, config.batchSize(),
        config.seed()).withForceStream(stream);
    TrainingData trainData = DataLoader.load(train, options);
    try {
      InMemoryData test = DataLoader.readAll(eval, trainData.numClasses());
      int[] shape = train.exampleShape();
      // a grayscale image array (examples, height, width) feeds a model of one channel
      int[] featureShape = shape.length == 2 ? new int[] {shape[0], shape[1], 1} : shape;
      return new Loaded(name(), trainData, Datasets.images(test), featureShape,
          trainData.numClasses());
    } catch (RuntimeException e) {
      if (trainData instanceof StreamedData s) {
        s.close();
      }
      throw e;
    }
  }
}
