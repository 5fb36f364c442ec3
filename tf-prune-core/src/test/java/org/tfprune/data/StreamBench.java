package org.tfprune.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Measures how fast each reader streams: writes the first N MNIST training examples as PNG and
 * raw-byte TFRecord shards, an .npz and an .npy pair, then streams two epochs of each with
 * nothing consuming the batches and prints the reader's busy time per batch. Not a test (surefire
 * runs only *Test classes): run it with {@code java -cp <test classpath>
 * org.tfprune.data.StreamBench 60000}.
 */
public final class StreamBench {
  private StreamBench() {}

  public static void main(String[] a) throws Exception {
    int n = Integer.parseInt(a[0]);
    Path dir = Files.createTempDirectory("streambench");
    MnistFiles.Raw raw = MnistFiles.raw(n);
    MnistFiles.writeShards(dir, "png", MnistFiles.pngExamples(raw), 8);
    MnistFiles.writeShards(dir, "raw", MnistFiles.rawExamples(raw), 8);
    MnistFiles.writeNpz(dir.resolve("m.npz"), false, "x_train", MnistFiles.imagesNpy(raw), "y_train", MnistFiles.labelsNpy(raw.labels()));
    Files.write(dir.resolve("x_train.npy"), MnistFiles.imagesNpy(raw));
    Files.write(dir.resolve("y_train.npy"), MnistFiles.labelsNpy(raw.labels()));
    Map<String, ExampleReader> readers = new LinkedHashMap<>();
    readers.put("tfrecord-png-8-shards", TfRecordReader.open(dir + "/png-*.tfrecord", TfRecordReader.Options.DEFAULT));
    readers.put("tfrecord-raw-8-shards", TfRecordReader.open(dir + "/raw-*.tfrecord", TfRecordReader.Options.DEFAULT.withExampleShape(new int[] {28, 28, 1})));
    readers.put("npz-stored", NpzReader.open(dir.resolve("m.npz"), "x_train", "y_train", InputScale.AUTO));
    readers.put("npy", NpyReader.open(dir.resolve("x_train.npy"), dir.resolve("y_train.npy"), InputScale.AUTO));
    int b = 100;
    for (var e : readers.entrySet()) {
      for (int rep = 0; rep < 2; rep++) {
        try (StreamedData d = StreamedData.shuffled(e.getValue(), 10, b, 1, 10_000, 8)) {
          float[] x = new float[b * 784];
          float[] y = new float[b * 10];
          long t0 = System.nanoTime();
          for (int s = 0; s < n / b; s++) {
            d.fill(new int[b], x, y);
          }
          double wall = (System.nanoTime() - t0) / 1e9;
          System.out.printf("%s rep %d: %d examples, wall %.2f s (%.0f examples/s), %s%n", e.getKey(), rep, n, wall, n / wall, d.stats());
        }
      }
    }
  }
}
