package org.tfprune.data;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.tensorflow.proto.Example;

/**
 * Writes MNIST in the formats {@code tf-prune --data} reads, for scripts/user-data-check.sh. Not a
 * test (surefire runs only *Test classes). With the module's test classpath:
 * <ul>
 *   <li>{@code formats MNIST_DIR OUT}: {@code OUT/idx} (the four IDX files), {@code
 *       OUT/raw-train.tfrecord} and {@code OUT/raw-test.tfrecord} (raw bytes, one shard each),
 *       {@code OUT/png-train-0000i-of-00004.tfrecord} and {@code OUT/png-test-*.tfrecord} (PNG,
 *       four shards each) and {@code OUT/mnist.npz} (Keras' layout: uint8 {@code x_train (60000,
 *       28, 28)}, {@code y_train}, {@code x_test}, {@code y_test});</li>
 *   <li>{@code big MNIST_DIR OUT COPIES SHARDS}: the training set tiled {@code COPIES} times,
 *       each copy with its own noise (every pixel plus a uniform integer in [-8, 8], clipped to
 *       [0, 255]), as raw-byte TFRecords {@code OUT/big-0000i-of-SHARDS.tfrecord}, examples dealt
 *       to the shards in turn.</li>
 * </ul>
 */
public final class UserDataFiles {
  private static final int SIZE = 784;

  private UserDataFiles() {}

  public static void main(String[] a) throws IOException {
    Path mnist = Path.of(a[1]);
    Path out = Path.of(a[2]);
    Files.createDirectories(out);
    MnistFiles.Raw train = read(mnist, "train");
    if (a[0].equals("formats")) {
      MnistFiles.Raw test = read(mnist, "t10k");
      Path idx = Files.createDirectories(out.resolve("idx"));
      for (String f : new String[] {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
          "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}) {
        Files.copy(mnist.resolve(f), idx.resolve(f), StandardCopyOption.REPLACE_EXISTING);
      }
      MnistFiles.writeTfRecord(out.resolve("raw-train.tfrecord"), MnistFiles.rawExamples(train));
      MnistFiles.writeTfRecord(out.resolve("raw-test.tfrecord"), MnistFiles.rawExamples(test));
      MnistFiles.writeShards(out, "png-train", MnistFiles.pngExamples(train), 4);
      MnistFiles.writeShards(out, "png-test", MnistFiles.pngExamples(test), 4);
      MnistFiles.writeNpz(out.resolve("mnist.npz"), false,
          "x_train", MnistFiles.imagesNpy(train), "y_train", labelsU8(train.labels()),
          "x_test", MnistFiles.imagesNpy(test), "y_test", labelsU8(test.labels()));
      System.out.println("wrote IDX, TFRecord (raw, PNG) and .npz files of MNIST into " + out);
    } else if (a[0].equals("big")) {
      int copies = Integer.parseInt(a[3]);
      int shards = Integer.parseInt(a[4]);
      writeBig(train, out, copies, shards);
    } else {
      throw new IllegalArgumentException("usage: formats MNIST_DIR OUT | big MNIST_DIR OUT "
          + "COPIES SHARDS");
    }
  }

  private static void writeBig(MnistFiles.Raw train, Path out, int copies, int shards)
      throws IOException {
    List<OutputStream> files = new ArrayList<>();
    try {
      for (int s = 0; s < shards; s++) {
        files.add(new BufferedOutputStream(Files.newOutputStream(out.resolve(
            String.format("big-%05d-of-%05d.tfrecord", s, shards))), 1 << 20));
      }
      SplittableRandom random = new SplittableRandom(1);
      byte[] image = new byte[SIZE];
      long k = 0;
      for (int c = 0; c < copies; c++) {
        for (int i = 0; i < train.count(); i++) {
          for (int p = 0; p < SIZE; p++) {
            int v = (train.pixels()[i * SIZE + p] & 0xFF) + random.nextInt(-8, 9);
            image[p] = (byte) Math.max(0, Math.min(255, v));
          }
          Example e = MnistFiles.example(MnistFiles.bytesFeature(image), train.labels()[i]);
          files.get((int) (k++ % shards)).write(TfRecordFile.frame(e.toByteArray()));
        }
      }
      System.out.println("wrote " + k + " examples into " + shards + " shards in " + out);
    } finally {
      for (OutputStream f : files) {
        f.close();
      }
    }
  }

  private static byte[] labelsU8(int[] labels) {
    byte[] b = new byte[labels.length];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) labels[i];
    }
    return MnistFiles.npy("|u1", new long[] {b.length}, b, false);
  }

  /** The examples of {@code prefix}-images/labels in {@code dir} (uncompressed IDX). */
  private static MnistFiles.Raw read(Path dir, String prefix) {
    try (DataInputStream im = new DataInputStream(open(dir.resolve(prefix + "-images-idx3-ubyte")));
        DataInputStream lb = new DataInputStream(open(dir.resolve(prefix + "-labels-idx1-ubyte")))) {
      im.readInt();
      int n = im.readInt();
      im.skipNBytes(8);
      lb.skipNBytes(8);
      byte[] px = new byte[n * SIZE];
      im.readFully(px);
      int[] y = new int[n];
      for (int i = 0; i < n; i++) {
        y[i] = lb.readUnsignedByte();
      }
      return new MnistFiles.Raw(px, y);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static InputStream open(Path p) throws IOException {
    return new java.io.BufferedInputStream(Files.newInputStream(p));
  }
}
