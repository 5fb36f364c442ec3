package org.tfprune.data;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a pair of NumPy {@code .npy} files: images ({@code uint8} or {@code float32}, C order,
 * shape {@code (examples, ...)}) and integer labels ({@code (examples,)}). The image file is split
 * into shards of {@value #EXAMPLES_PER_SHARD} examples read at their file offsets, so a streamed
 * pass can shuffle across the whole array.
 */
public final class NpyReader extends NumpyArrays {
  /** Examples per shard of the image array. */
  public static final int EXAMPLES_PER_SHARD = 8192;

  private static final int BUFFER = 1 << 16;

  private final Path imagesFile;
  private final NpyHeader header;
  private final long exampleBytes;
  private final List<Shard> shards = new ArrayList<>();

  private NpyReader(Path imagesFile, NpyHeader header, Path labelsFile, NpyHeader labels,
      InputStream labelData, InputScale scale) {
    super(imagesFile + " + " + labelsFile, imagesFile.toString(), header, labelsFile.toString(),
        labels, labelData, scale);
    this.imagesFile = imagesFile;
    this.header = header;
    long n = count();
    this.exampleBytes = n == 0 ? 0 : header.dataBytes() / n;
    for (long from = 0; from < n; from += EXAMPLES_PER_SHARD) {
      shards.add(range(from, Math.min(n, from + EXAMPLES_PER_SHARD)));
    }
  }

  /**
   * Opens an image file and its label file.
   *
   * @throws MalformedDataException if a file is missing, truncated or not a supported {@code .npy}
   * @throws CountMismatchException if the two arrays hold different numbers of examples
   */
  public static NpyReader open(Path imagesFile, Path labelsFile, InputScale scale) {
    checkNotNull(imagesFile, "imagesFile");
    checkNotNull(labelsFile, "labelsFile");
    checkNotNull(scale, "scale");
    for (Path p : List.of(imagesFile, labelsFile)) {
      if (!Files.isRegularFile(p)) {
        throw new MissingArrayException(p.toString(), -1, "file not found",
            "Pass the directory holding the .npy arrays, named by the image and label keys "
                + "(x_train.npy, y_train.npy, x_test.npy, y_test.npy unless set otherwise).");
      }
    }
    NpyHeader images = headerOf(imagesFile);
    long need = images.dataOffset() + images.dataBytes();
    long size = NumpyArrays.io(imagesFile.toString(), () -> Files.size(imagesFile));
    if (size < need) {
      throw new MalformedDataException(imagesFile.toString(), -1, String.format(
          "is truncated: its header declares %s bytes of data after %d header bytes, the file has"
              + " %d bytes", images.dataBytes(), images.dataOffset(), size),
          "Save the array again with numpy.save.");
    }
    return NumpyArrays.io(labelsFile.toString(), () -> {
      try (InputStream in = new BufferedInputStream(Files.newInputStream(labelsFile), BUFFER)) {
        NpyHeader labels = NpyHeader.read(in, labelsFile.toString());
        return new NpyReader(imagesFile, images, labelsFile, labels, in, scale);
      }
    });
  }

  private static NpyHeader headerOf(Path file) {
    return NumpyArrays.io(file.toString(), () -> {
      try (InputStream in = new BufferedInputStream(Files.newInputStream(file), BUFFER)) {
        return NpyHeader.read(in, file.toString());
      }
    });
  }

  @Override
  InputStream openImages(long first) throws IOException {
    checkArgument(first >= 0 && first <= count(), "first example %s out of range", first);
    FileChannel channel = FileChannel.open(imagesFile, StandardOpenOption.READ);
    channel.position(header.dataOffset() + first * exampleBytes);
    return new BufferedInputStream(Channels.newInputStream(channel), BUFFER);
  }

  @Override
  public List<Shard> shards() {
    return List.copyOf(shards);
  }
}
