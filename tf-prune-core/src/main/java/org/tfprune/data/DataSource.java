package org.tfprune.data;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where user data is and how to read it: a path or glob, its format, the feature keys or array
 * names, the example shape when the files do not say it, and the input scale. Opens the {@link
 * ExampleReader}s for TFRecord and NumPy data (IDX is opened by the examples module's reader).
 *
 * @param path a file, a directory or a glob
 * @param format the format, or null to {@link DataFormat#detect detect} it
 * @param imageKey the image feature (TFRecord) or array (NumPy), or null for the default: {@code
 *     image}, or {@code x_train}
 * @param labelKey the label feature or array, or null for {@code label}, or {@code y_train}
 * @param evalImageKey the evaluation images' array in the same {@code .npz} or directory, or null
 *     for {@code x_test}
 * @param evalLabelKey the evaluation labels' array, or null for {@code y_test}
 * @param exampleShape the shape of one example, or null to take it from the data
 * @param scale the factor every value is multiplied by
 */
public record DataSource(String path, DataFormat format, String imageKey, String labelKey,
    String evalImageKey, String evalLabelKey, int[] exampleShape, InputScale scale) {
  /** Checks the path and scale, copies the shape. */
  public DataSource {
    checkNotNull(path, "path");
    checkNotNull(scale, "scale");
    checkArgument(!path.isBlank(), "the data path must not be blank");
    exampleShape = exampleShape == null ? null : exampleShape.clone();
  }

  /** A source with the default keys, the shape from the data and the automatic scale. */
  public static DataSource of(String path) {
    return new DataSource(path, null, null, null, null, null, null, InputScale.AUTO);
  }

  /** This source at another path (an evaluation file of the same kind). */
  public DataSource at(String otherPath) {
    return new DataSource(otherPath, format, imageKey, labelKey, evalImageKey, evalLabelKey,
        exampleShape, scale);
  }

  /** The format given, or detected from the path. */
  public DataFormat resolvedFormat() {
    return format != null ? format : DataFormat.detect(path);
  }

  /** The training examples. IDX is not opened here: see the examples module's {@code Datasets}. */
  public ExampleReader openTrain() {
    return switch (resolvedFormat()) {
      case TFRECORD -> TfRecordReader.open(path, new TfRecordReader.Options(
          or(imageKey, TfRecordReader.IMAGE_KEY), or(labelKey, TfRecordReader.LABEL_KEY),
          exampleShape, scale));
      case NPZ -> NpzReader.open(Path.of(path), or(imageKey, NpzReader.X_TRAIN),
          or(labelKey, NpzReader.Y_TRAIN), scale);
      case NPY -> NpyReader.open(npyFile(or(imageKey, NpzReader.X_TRAIN)),
          npyFile(or(labelKey, NpzReader.Y_TRAIN)), scale);
      case IDX -> throw new IllegalStateException("IDX data is opened by the IDX reader");
    };
  }

  /**
   * The evaluation examples that come with the training data: an {@code .npz}'s or {@code .npy}
   * directory's test arrays ({@code x_test}, {@code y_test} unless named otherwise), if present.
   */
  public Optional<ExampleReader> openBundledEvaluation() {
    String x = or(evalImageKey, NpzReader.X_TEST);
    String y = or(evalLabelKey, NpzReader.Y_TEST);
    return switch (resolvedFormat()) {
      case NPZ -> NpzReader.has(Path.of(path), x)
          ? Optional.of(NpzReader.open(Path.of(path), x, y, scale)) : Optional.empty();
      case NPY -> Files.isRegularFile(npyFile(x))
          ? Optional.of(NpyReader.open(npyFile(x), npyFile(y), scale)) : Optional.empty();
      default -> Optional.empty();
    };
  }

  /**
   * This source read as evaluation data given on its own ({@code --eval-data}): for NumPy, the
   * test arrays if the file has them, else the training arrays' names.
   */
  public ExampleReader openAsEvaluation() {
    Optional<ExampleReader> bundled = openBundledEvaluation();
    return bundled.isPresent() ? bundled.get() : openTrain();
  }

  private Path npyFile(String key) {
    Path p = Path.of(path);
    Path dir = Files.isDirectory(p) ? p : p.toAbsolutePath().getParent();
    return dir.resolve(key.endsWith(".npy") ? key : key + ".npy");
  }

  private static String or(String value, String fallback) {
    return value != null ? value : fallback;
  }
}
