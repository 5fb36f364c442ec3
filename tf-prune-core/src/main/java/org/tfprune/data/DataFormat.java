package org.tfprune.data;

import static com.google.common.base.Preconditions.checkNotNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Stream;

/** The file formats user data can come in, and how a path or glob tells which. */
public enum DataFormat {
  /** TFRecord files of {@code tf.train.Example}s ({@code .tfrecord}, {@code .tfrecords}). */
  TFRECORD,
  /** A NumPy {@code .npz} archive. */
  NPZ,
  /** A directory of NumPy {@code .npy} arrays (or one of them). */
  NPY,
  /** A directory of IDX files as MNIST ships them. */
  IDX;

  /**
   * Parses {@code tfrecord}, {@code npz}, {@code npy} or {@code idx} (any case).
   *
   * @throws IllegalArgumentException naming the accepted formats
   */
  public static DataFormat parse(String text) {
    checkNotNull(text, "text");
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown data format '" + text + "': use one of "
          + Arrays.toString(values()).toLowerCase(Locale.ROOT), e);
    }
  }

  /**
   * The format of {@code pathOrGlob} from its extension ({@code .tfrecord}, {@code .tfrecords},
   * {@code .tfr}, {@code .npz}, {@code .npy}), or for a directory from the files in it (IDX files
   * such as {@code train-images-idx3-ubyte}, or {@code .npy} arrays).
   *
   * @throws DataException if the format cannot be told, naming the option that sets it
   */
  public static DataFormat detect(String pathOrGlob) {
    checkNotNull(pathOrGlob, "pathOrGlob");
    String lower = pathOrGlob.toLowerCase(Locale.ROOT);
    if (lower.endsWith(".gz")) {
      lower = lower.substring(0, lower.length() - 3);
    }
    if (lower.endsWith(".tfrecord") || lower.endsWith(".tfrecords") || lower.endsWith(".tfr")) {
      return TFRECORD;
    }
    if (lower.endsWith(".npz")) {
      return NPZ;
    }
    if (lower.endsWith(".npy")) {
      return NPY;
    }
    Path p = Path.of(pathOrGlob);
    if (!Globs.isGlob(pathOrGlob) && Files.isDirectory(p)) {
      try (Stream<Path> files = Files.list(p)) {
        String[] names = files.map(f -> f.getFileName().toString()).toArray(String[]::new);
        if (Arrays.stream(names).anyMatch(n -> n.contains("-idx3-ubyte"))) {
          return IDX;
        }
        if (Arrays.stream(names).anyMatch(n -> n.endsWith(".npy"))) {
          return NPY;
        }
      } catch (IOException e) {
        throw new DataException(pathOrGlob, -1, "cannot be listed (" + e + ")",
            "Check that the directory is readable.", e);
      }
    }
    throw new DataException(pathOrGlob, -1, Globs.isGlob(pathOrGlob) || Files.exists(p)
        ? "the data format cannot be told from the name" : "no such file or directory",
        "Name the format with --data-format tfrecord|npz|npy|idx, or pass a data set name "
            + "(mnist, fashion-mnist, cifar10).");
  }
}
