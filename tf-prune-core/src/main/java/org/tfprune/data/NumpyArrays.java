package org.tfprune.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * What {@link NpyReader} and {@link NpzReader} share: an image array read example by example from a
 * stream the subclass opens, and a label array held in memory.
 */
abstract class NumpyArrays implements ExampleReader {
  private final String source;
  private final String imagesName;
  private final NpyHeader images;
  private final int[] exampleShape;
  private final int exampleBytes;
  private final int[] labels;
  private final InputScale scale;

  NumpyArrays(String source, String imagesName, NpyHeader images, String labelsName,
      NpyHeader labelsHeader, InputStream labelsData, InputScale scale) {
    this.source = source;
    this.imagesName = imagesName;
    this.images = images;
    long[] shape = images.shape();
    if (shape.length < 2) {
      throw new ShapeMismatchException(imagesName, -1, "holds an array of shape "
          + Arrays.toString(shape) + ", expected (examples, ...) with at least 2 dimensions",
          "Save the images as one array whose first dimension counts the examples.");
    }
    if (images.type() != NpyHeader.ElementType.UINT8
        && images.type() != NpyHeader.ElementType.FLOAT32) {
      throw new ShapeMismatchException(imagesName, -1, "holds images of element type "
          + images.type().descr() + ", expected uint8 (|u1) or float32 (<f4)",
          "Convert them: numpy.save(path, x.astype('float32')).");
    }
    this.exampleShape = new int[shape.length - 1];
    for (int i = 1; i < shape.length; i++) {
      exampleShape[i - 1] = Math.toIntExact(shape[i]);
    }
    this.exampleBytes = Math.toIntExact(images.dataBytes() / Math.max(1, shape[0]));
    this.labels = readLabels(labelsName, labelsHeader, labelsData);
    if (labels.length != shape[0]) {
      throw new CountMismatchException(source, -1, String.format(
          "images %s hold %d examples but labels %s hold %d", imagesName, shape[0], labelsName,
          labels.length), "Pass the image and label arrays of the same split (x_train with "
          + "y_train, x_test with y_test).");
    }
    this.scale = images.type() == NpyHeader.ElementType.UINT8 ? scale.forBytes()
        : scale.forFloats();
  }

  /** Opens the image data positioned at example {@code first}. */
  abstract InputStream openImages(long first) throws IOException;

  /** The shards: one per file unless the subclass splits the array into ranges. */
  @Override
  public abstract List<? extends Shard> shards();

  @Override
  public String source() {
    return source;
  }

  @Override
  public int[] exampleShape() {
    return exampleShape.clone();
  }

  /** All labels, in order; a fresh copy. */
  public int[] labels() {
    return labels.clone();
  }

  /** The number of examples in the arrays. */
  long count() {
    return labels.length;
  }

  /** A shard of examples {@code [from, to)} of the image array. */
  Shard range(long from, long to) {
    String name = from == 0 && to == labels.length ? imagesName
        : imagesName + " [" + from + ", " + to + ")";
    return new Shard() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public long size() {
        return to - from;
      }

      @Override
      public Cursor open() {
        try {
          return new NpyCursor(openImages(from), from, to);
        } catch (IOException e) {
          throw new MalformedDataException(imagesName, -1, "cannot be opened (" + e + ")",
              "Check that the file is readable.", e);
        }
      }
    };
  }

  private final class NpyCursor implements Cursor {
    private final InputStream in;
    private final long end;
    private final byte[] buffer = new byte[exampleBytes];
    private final ByteBuffer view = ByteBuffer.wrap(buffer).order(ByteOrder.LITTLE_ENDIAN);
    private long next;

    NpyCursor(InputStream in, long from, long to) {
      this.in = in;
      this.next = from;
      this.end = to;
    }

    @Override
    public boolean next(float[] features, int offset) {
      if (next >= end) {
        return false;
      }
      int read;
      try {
        read = in.readNBytes(buffer, 0, exampleBytes);
      } catch (IOException e) {
        throw new MalformedDataException(imagesName, next, "cannot be read (" + e + ")",
            "Check that the file is readable and complete.", e);
      }
      if (read < exampleBytes) {
        throw new MalformedDataException(imagesName, next, "ends inside the example: the header "
            + "declares shape " + Arrays.toString(images.shape()) + " but the data stops early",
            "The file is truncated; save the array again with numpy.save.");
      }
      int n = buffer.length / images.type().bytes();
      if (images.type() == NpyHeader.ElementType.UINT8) {
        for (int i = 0; i < n; i++) {
          features[offset + i] = scale.apply(buffer[i] & 0xFF);
        }
      } else {
        for (int i = 0; i < n; i++) {
          features[offset + i] = scale.apply(view.getFloat(i * 4));
        }
      }
      next++;
      return true;
    }

    @Override
    public int label() {
      return labels[(int) (next - 1)];
    }

    @Override
    public long record() {
      return next - 1;
    }

    @Override
    public String file() {
      return imagesName;
    }

    @Override
    public void close() {
      try {
        in.close();
      } catch (IOException e) {
        // nothing was written; a failed close of a read-only stream loses nothing
      }
    }
  }

  private static int[] readLabels(String name, NpyHeader header, InputStream data) {
    long[] shape = header.shape();
    if (!header.type().integer()) {
      throw new MalformedDataException(name, -1, "holds labels of element type "
          + header.type().descr() + ", expected an integer type",
          "Save the class indices as integers: numpy.save(path, y.astype('int64')).");
    }
    if (shape.length != 1 && !(shape.length == 2 && shape[1] == 1)) {
      throw new ShapeMismatchException(name, -1, "holds labels of shape " + Arrays.toString(shape)
          + ", expected (examples,) of class indices", "Save one class index per example "
          + "(not one-hot rows): numpy.save(path, y.argmax(axis=1)) for one-hot labels.");
    }
    int n = Math.toIntExact(shape[0]);
    int bytes = header.type().bytes();
    byte[] raw;
    try {
      raw = data.readNBytes(Math.multiplyExact(n, bytes));
    } catch (IOException e) {
      throw new MalformedDataException(name, -1, "cannot be read (" + e + ")",
          "Check that the file is readable and complete.", e);
    }
    if (raw.length < n * bytes) {
      throw new MalformedDataException(name, raw.length / bytes, "ends early: the header declares "
          + n + " labels", "The file is truncated; save the array again with numpy.save.");
    }
    ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      long v = switch (header.type()) {
        case UINT8 -> raw[i] & 0xFF;
        case INT8 -> raw[i];
        case INT16 -> b.getShort(i * 2);
        case UINT16 -> b.getShort(i * 2) & 0xFFFF;
        case INT32 -> b.getInt(i * 4);
        case UINT32 -> b.getInt(i * 4) & 0xFFFFFFFFL;
        case INT64 -> b.getLong(i * 8);
        default -> throw new AssertionError(header.type());
      };
      if (v < 0 || v > Integer.MAX_VALUE) {
        throw new LabelOutOfRangeException(name, i, "has label " + v + ", not a class index",
            "Labels must be class indices 0, 1, ..., numClasses - 1.");
      }
      labels[i] = (int) v;
    }
    return labels;
  }

  /** Runs {@code open}, turning an I/O failure into a {@link MalformedDataException}. */
  static <T> T io(String name, IoSupplier<T> open) {
    try {
      return open.get();
    } catch (IOException e) {
      throw new MalformedDataException(name, -1, "cannot be read (" + e + ")",
          "Check that the file exists and is readable.", e);
    }
  }

  /** A supplier that may throw {@link IOException}. */
  interface IoSupplier<T> {
    T get() throws IOException;
  }
}
