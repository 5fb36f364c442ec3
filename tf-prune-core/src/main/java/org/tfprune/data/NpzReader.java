package org.tfprune.data;

import static com.google.common.base.Preconditions.checkNotNull;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads an image array and a label array from a NumPy {@code .npz} archive (a zip of {@code .npy}
 * files, stored by {@code numpy.savez} or deflated by {@code numpy.savez_compressed}), by their
 * names: Keras' {@code mnist.npz} holds {@value #X_TRAIN}, {@value #Y_TRAIN}, {@value #X_TEST} and
 * {@value #Y_TEST}. The archive is one shard, read from the start of the image entry.
 */
public final class NpzReader extends NumpyArrays {
  /** The training images' name in Keras' {@code mnist.npz}. */
  public static final String X_TRAIN = "x_train";
  /** The training labels' name in Keras' {@code mnist.npz}. */
  public static final String Y_TRAIN = "y_train";
  /** The test images' name in Keras' {@code mnist.npz}. */
  public static final String X_TEST = "x_test";
  /** The test labels' name in Keras' {@code mnist.npz}. */
  public static final String Y_TEST = "y_test";

  private static final int BUFFER = 1 << 16;

  private final Path archive;
  private final String imagesEntry;
  private final long exampleBytes;

  private NpzReader(Path archive, String imagesEntry, NpyHeader images, String labelsEntry,
      NpyHeader labels, InputStream labelData, InputScale scale) {
    super(archive.toString(), archive + "!" + imagesEntry, images, archive + "!" + labelsEntry,
        labels, labelData, scale);
    this.archive = archive;
    this.imagesEntry = imagesEntry;
    this.exampleBytes = count() == 0 ? 0 : images.dataBytes() / count();
  }

  /**
   * Opens the arrays {@code imagesKey} and {@code labelsKey} (with or without {@code .npy}) of
   * {@code archive}.
   *
   * @throws MissingArrayException if the archive lacks one of them; the message lists the arrays it
   *     holds
   * @throws MalformedDataException if the file is not a zip or an array not a supported {@code .npy}
   * @throws CountMismatchException if the arrays hold different numbers of examples
   */
  public static NpzReader open(Path archive, String imagesKey, String labelsKey,
      InputScale scale) {
    checkNotNull(archive, "archive");
    checkNotNull(imagesKey, "imagesKey");
    checkNotNull(labelsKey, "labelsKey");
    checkNotNull(scale, "scale");
    if (!Files.isRegularFile(archive)) {
      throw new MalformedDataException(archive.toString(), -1, "file not found",
          "Pass the path of an .npz archive written by numpy.savez.");
    }
    try (ZipFile zip = openZip(archive)) {
      String imagesEntry = entryName(zip, archive, imagesKey, "images", "--image-key");
      String labelsEntry = entryName(zip, archive, labelsKey, "labels", "--label-key");
      NpyHeader images;
      try (InputStream in = zip.getInputStream(zip.getEntry(imagesEntry))) {
        images = NpyHeader.read(in, archive + "!" + imagesEntry);
      }
      try (InputStream in = new BufferedInputStream(
          zip.getInputStream(zip.getEntry(labelsEntry)), BUFFER)) {
        NpyHeader labels = NpyHeader.read(in, archive + "!" + labelsEntry);
        return new NpzReader(archive, imagesEntry, images, labelsEntry, labels, in, scale);
      }
    } catch (IOException e) {
      throw new MalformedDataException(archive.toString(), -1, "cannot be read (" + e + ")",
          "Check that the file is a complete .npz archive written by numpy.savez.", e);
    }
  }

  /** The names of the arrays in {@code archive}, without {@code .npy}. */
  public static List<String> arrays(Path archive) {
    try (ZipFile zip = openZip(archive)) {
      return arrays(zip);
    } catch (IOException e) {
      throw new MalformedDataException(archive.toString(), -1, "cannot be read (" + e + ")",
          "Check that the file is a complete .npz archive written by numpy.savez.", e);
    }
  }

  /** Whether {@code archive} holds an array named {@code key}. */
  public static boolean has(Path archive, String key) {
    return arrays(archive).contains(key.endsWith(".npy") ? key.substring(0, key.length() - 4)
        : key);
  }

  private static List<String> arrays(ZipFile zip) {
    List<String> names = new ArrayList<>();
    for (ZipEntry e : Collections.list(zip.entries())) {
      String n = e.getName();
      names.add(n.endsWith(".npy") ? n.substring(0, n.length() - 4) : n);
    }
    return names;
  }

  private static ZipFile openZip(Path archive) throws IOException {
    try {
      return new ZipFile(archive.toFile());
    } catch (ZipException e) {
      throw new MalformedDataException(archive.toString(), -1, "is not a zip archive (" 
          + e.getMessage() + ")", "Pass an .npz archive written by numpy.savez, or a single "
          + "array's .npy file with --data-format npy.", e);
    }
  }

  private static String entryName(ZipFile zip, Path archive, String key, String what,
      String option) {
    String name = key.endsWith(".npy") ? key : key + ".npy";
    if (zip.getEntry(name) == null) {
      throw new MissingArrayException(archive.toString(), -1, String.format(
          "has no array '%s' for the %s; it holds %s", key, what, arrays(zip)),
          "Name the " + what + " array with " + option + " (Keras' mnist.npz uses x_train, "
              + "y_train, x_test, y_test).");
    }
    return name;
  }

  @Override
  InputStream openImages(long first) throws IOException {
    ZipFile zip = new ZipFile(archive.toFile());
    try {
      InputStream in = new BufferedInputStream(zip.getInputStream(zip.getEntry(imagesEntry)),
          BUFFER);
      NpyHeader.read(in, archive + "!" + imagesEntry);
      in.skipNBytes(first * exampleBytes);
      return new FilterInputStream(in) {
        @Override
        public void close() throws IOException {
          try {
            super.close();
          } finally {
            zip.close();
          }
        }
      };
    } catch (IOException | RuntimeException e) {
      zip.close();
      throw e;
    }
  }

  @Override
  public List<Shard> shards() {
    return List.of(range(0, count()));
  }
}
