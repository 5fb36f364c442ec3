package org.tfprune.testing;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Test-only reader for the raw MNIST IDX files in {@code <repo>/.cache/mnist} (tf-prune-core cannot
 * depend on tf-prune-examples). Pixels are scaled to [0, 1]; the first {@code n} examples of a file
 * are read. Results are cached per JVM.
 */
public final class Mnist {
  private static final int IMAGES_MAGIC = 2051;
  private static final int LABELS_MAGIC = 2049;
  private static final Map<String, ArrayData> CACHE = new ConcurrentHashMap<>();

  private Mnist() {}

  /** The first {@code n} training examples. */
  public static ArrayData train(int n) {
    return CACHE.computeIfAbsent("train" + n, k -> read("train", n));
  }

  /** The first {@code n} test examples. */
  public static ArrayData test(int n) {
    return CACHE.computeIfAbsent("t10k" + n, k -> read("t10k", n));
  }

  /** {@code <repo>/.cache/mnist}, the repository root found by walking up from the working dir. */
  public static Path dir() {
    for (Path d = Paths.get("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.exists(d.resolve("scripts/fetch-mnist.sh"))) {
        Path m = d.resolve(".cache/mnist");
        if (!Files.exists(m.resolve("train-images-idx3-ubyte"))
            || !Files.exists(m.resolve("t10k-images-idx3-ubyte"))) {
          throw new IllegalStateException("MNIST is missing in " + m
              + ": run bash scripts/fetch-mnist.sh");
        }
        return m;
      }
    }
    throw new IllegalStateException("cannot find the repository root (scripts/fetch-mnist.sh) "
        + "above " + Paths.get("").toAbsolutePath() + ": run the tests from the repository");
  }

  private static ArrayData read(String prefix, int n) {
    Path d = dir();
    try (DataInputStream im = open(d.resolve(prefix + "-images-idx3-ubyte"));
        DataInputStream lb = open(d.resolve(prefix + "-labels-idx1-ubyte"))) {
      check(im.readInt() == IMAGES_MAGIC, "bad image magic");
      int count = im.readInt();
      int rows = im.readInt();
      int cols = im.readInt();
      check(lb.readInt() == LABELS_MAGIC, "bad label magic");
      check(lb.readInt() == count && n <= count, "label count / n mismatch");
      int f = rows * cols;
      byte[] px = new byte[n * f];
      im.readFully(px);
      byte[] lab = new byte[n];
      lb.readFully(lab);
      float[] x = new float[px.length];
      for (int i = 0; i < px.length; i++) {
        x[i] = (px[i] & 0xff) / 255f;
      }
      int[] y = new int[n];
      for (int i = 0; i < n; i++) {
        y[i] = lab[i];
      }
      return new ArrayData(x, y, f, 10);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static DataInputStream open(Path p) throws IOException {
    InputStream in = Files.newInputStream(p);
    return new DataInputStream(new java.io.BufferedInputStream(in, 1 << 16));
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException("corrupt MNIST file (" + what
          + "): run bash scripts/fetch-mnist.sh");
    }
  }
}
