package org.tfprune.examples.data;

import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.io.Closeables;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Opens data files, raw or gzipped (detected by the gzip magic bytes {@code 0x1f 0x8b}, not by the
 * file name), and turns every I/O failure into a {@link DatasetException} that names the file.
 */
final class DataFiles {
  private static final int BUFFER_SIZE = 1 << 16;
  private static final int GZIP_MAGIC_0 = 0x1f;
  private static final int GZIP_MAGIC_1 = 0x8b;

  /** {@code PIXEL_SCALE[b]} is {@code b / 255f} for every unsigned byte value {@code b}. */
  private static final float[] PIXEL_SCALE = new float[256];

  static {
    for (int b = 0; b < 256; b++) {
      PIXEL_SCALE[b] = b / 255f;
    }
  }

  private DataFiles() {}

  /** The pixel value of a byte, scaled from {@code [0, 255]} to {@code [0, 1]}. */
  static float pixel(byte b) {
    return PIXEL_SCALE[b & 0xFF];
  }

  /**
   * Opens {@code file} for reading, decompressing it if it is gzipped.
   *
   * @param howToGetData a sentence telling how to get the data, for the message if the file is missing
   * @throws DatasetException if the file is missing, is a directory, or cannot be opened
   */
  static Source open(Path file, String howToGetData) {
    checkNotNull(file, "file");
    checkNotNull(howToGetData, "howToGetData");
    if (!Files.exists(file)) {
      Path parent = file.toAbsolutePath().getParent();
      String problem =
          parent != null && !Files.isDirectory(parent)
              ? "file not found (its directory " + parent + " does not exist either)"
              : "file not found";
      throw DatasetException.forFile(file, problem, howToGetData);
    }
    if (Files.isDirectory(file)) {
      throw DatasetException.forFile(
          file, "is a directory, expected a data file", "Pass the path of the file itself.");
    }
    InputStream buffered = null;
    boolean gzip = false;
    try {
      buffered = new BufferedInputStream(Files.newInputStream(file), BUFFER_SIZE);
      buffered.mark(2);
      gzip = buffered.read() == GZIP_MAGIC_0 && buffered.read() == GZIP_MAGIC_1;
      buffered.reset();
      InputStream in = gzip ? new GZIPInputStream(buffered, BUFFER_SIZE) : buffered;
      return new Source(file, gzip, in, howToGetData);
    } catch (IOException e) {
      Closeables.closeQuietly(buffered);
      throw failure(file, gzip, howToGetData, e);
    }
  }

  private static DatasetException failure(
      Path file, boolean gzip, String howToGetData, IOException e) {
    if (gzip && (e instanceof ZipException || e instanceof EOFException)) {
      String detail =
          e instanceof EOFException
              ? "the compressed stream ends early, so the file is truncated"
              : String.valueOf(e.getMessage());
      return DatasetException.forFile(
          file,
          "corrupt gzip data (" + detail + ")",
          "Delete the file and get it again. " + howToGetData,
          e);
    }
    return DatasetException.forFile(
        file,
        "cannot be read (" + e + ")",
        "Check that the file is readable and the disk is healthy.",
        e);
  }

  /**
   * An open data file. Its methods report failures as {@link DatasetException}s naming the file.
   * Close it with try-with-resources.
   */
  static final class Source implements Closeable {
    private final Path file;
    private final boolean gzip;
    private final InputStream in;
    private final String howToGetData;

    private Source(Path file, boolean gzip, InputStream in, String howToGetData) {
      this.file = file;
      this.gzip = gzip;
      this.in = in;
      this.howToGetData = howToGetData;
    }

    /** The file being read. */
    Path file() {
      return file;
    }

    /** Whether the file is gzipped (the bytes read are the decompressed ones). */
    boolean gzip() {
      return gzip;
    }

    /**
     * Reads {@code len} bytes into {@code buf} at {@code off}, or fewer if the data ends first.
     *
     * @return the number of bytes read
     */
    int read(byte[] buf, int off, int len) {
      try {
        return in.readNBytes(buf, off, len);
      } catch (IOException e) {
        throw failure(file, gzip, howToGetData, e);
      }
    }

    /** Reads all remaining bytes. */
    byte[] readAll() {
      try {
        return in.readAllBytes();
      } catch (IOException e) {
        throw failure(file, gzip, howToGetData, e);
      }
    }

    /** Reads and discards the remaining bytes; returns how many there were. */
    long skipToEnd() {
      try {
        return in.transferTo(OutputStream.nullOutputStream());
      } catch (IOException e) {
        throw failure(file, gzip, howToGetData, e);
      }
    }

    @Override
    public void close() {
      Closeables.closeQuietly(in);
    }
  }
}
