package org.tfprune.data;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import org.tfprune.train.TrainingData;

/**
 * Turns a reader into the trainer's {@link TrainingData}: checks the examples against the model's
 * input, then holds them in memory when they fit, or streams them from disk.
 *
 * <p><b>When data is held in memory.</b> Held in memory, {@code n} examples of {@code s} values
 * take {@code 4 * n * (s + 1)} bytes (float features, int labels). The data is held in memory when
 * that is at most {@link Options#heapFraction()} (default {@value #DEFAULT_HEAP_FRACTION}) of the
 * JVM's maximum heap ({@code -Xmx}), leaving the rest for a second data set (evaluation), the
 * trainer's batches and the model's parameters; and when it fits one Java array. Otherwise, or
 * when {@link Options#forceStream()} is set, it is streamed ({@link StreamedData}).
 *
 * <p><b>Checks before training.</b> The example shape must fit the model's input (dimensions of
 * size 1 aside), every value must be finite and every label in {@code [0, numClasses)}; the
 * exception names the file and the record. In memory, the checks run as the data is read; for
 * streamed data, one checking pass over all records runs before training starts (and the stream
 * checks again as it reads).
 */
public final class DataLoader {
  /** The default fraction of the maximum heap data may take and still be held in memory. */
  public static final double DEFAULT_HEAP_FRACTION = 0.4;

  private DataLoader() {}

  /**
   * How to load.
   *
   * @param modelShape the model's input shape, or null to accept the data's
   * @param numClasses the model's number of outputs, or 0 to take the largest label + 1
   * @param batchSize the training batch size (streamed epochs deliver whole batches)
   * @param seed the seed of the streamed shuffle
   * @param forceStream stream even when the data would fit in memory
   * @param heapFraction the fraction of the maximum heap in-memory data may take
   * @param shuffleBuffer examples in the streamed shuffle buffer
   * @param queueBatches batches a stream reads ahead
   */
  public record Options(int[] modelShape, int numClasses, int batchSize, long seed,
      boolean forceStream, double heapFraction, int shuffleBuffer, int queueBatches) {
    /** Checks the ranges. */
    public Options {
      checkArgument(numClasses >= 0, "numClasses must be >= 0, got %s", numClasses);
      checkArgument(batchSize > 0, "batchSize must be positive, got %s", batchSize);
      checkArgument(heapFraction > 0 && heapFraction <= 1, "heapFraction must be in (0, 1], "
          + "got %s", heapFraction);
      checkArgument(shuffleBuffer > 0 && queueBatches > 0,
          "shuffleBuffer and queueBatches must be positive");
      modelShape = modelShape == null ? null : modelShape.clone();
    }

    /** Defaults: in memory when it fits, a 10,000-example shuffle buffer, 8 batches ahead. */
    public static Options of(int[] modelShape, int numClasses, int batchSize, long seed) {
      return new Options(modelShape, numClasses, batchSize, seed, false, DEFAULT_HEAP_FRACTION,
          10_000, 8);
    }

    /** These options, streaming or not. */
    public Options withForceStream(boolean force) {
      return new Options(modelShape, numClasses, batchSize, seed, force, heapFraction,
          shuffleBuffer, queueBatches);
    }

    /** These options with another number of classes. */
    public Options withNumClasses(int classes) {
      return new Options(modelShape, classes, batchSize, seed, forceStream, heapFraction,
          shuffleBuffer, queueBatches);
    }
  }

  /** The bytes {@code examples} examples of {@code exampleSize} values take in memory. */
  public static long bytesInMemory(long examples, int exampleSize) {
    return 4L * examples * (exampleSize + 1L);
  }

  /** Whether such data is held in memory under a heap of {@code maxHeap} bytes. */
  public static boolean fitsInMemory(long examples, int exampleSize, double heapFraction,
      long maxHeap) {
    return examples * (long) exampleSize <= Integer.MAX_VALUE - 8
        && bytesInMemory(examples, exampleSize) <= heapFraction * maxHeap;
  }

  /**
   * Training data from {@code reader}: in memory when it fits, else streamed in shuffled batches.
   * Streamed data must be closed.
   */
  public static TrainingData load(ExampleReader reader, Options options) {
    if (readsIntoMemory(reader, options)) {
      return readAll(reader, options.numClasses());
    }
    int classes = scan(reader, options.numClasses());
    return StreamedData.shuffled(reader, classes, options.batchSize(), options.seed(),
        options.shuffleBuffer(), options.queueBatches());
  }

  /**
   * Training data from {@code reader}, always streamed in shuffled batches (after one checking
   * pass): for data larger than memory, e.g. batches a program produces on the fly. Close it.
   */
  public static StreamedData stream(ExampleReader reader, Options options) {
    return (StreamedData) load(reader, options.withForceStream(true));
  }

  /**
   * Evaluation data from {@code reader}: in memory when it fits, else streamed in order.
   * Streamed data must be closed.
   */
  public static TrainingData loadForEvaluation(ExampleReader reader, Options options) {
    if (readsIntoMemory(reader, options)) {
      return readAll(reader, options.numClasses());
    }
    int classes = scan(reader, options.numClasses());
    return StreamedData.inOrder(reader, classes, options.batchSize(), options.queueBatches());
  }

  /** Checks the arguments and the model's shape; whether the data is to be read into memory. */
  private static boolean readsIntoMemory(ExampleReader reader, Options options) {
    checkNotNull(reader, "reader");
    checkNotNull(options, "options");
    checkModelShape(reader, options);
    return !options.forceStream() && fitsInMemory(reader.size(), reader.exampleSize(),
        options.heapFraction(), Runtime.getRuntime().maxMemory());
  }

  private static void checkModelShape(ExampleReader reader, Options options) {
    if (options.modelShape() != null) {
      ExampleChecks.checkShape(reader.source(), reader.exampleShape(), options.modelShape());
    }
  }

  /**
   * Reads every example into memory, checking values and labels.
   *
   * @param numClasses the number of classes, or 0 to take the largest label + 1
   * @throws DataException naming the file and record of the first bad example
   */
  public static InMemoryData readAll(ExampleReader reader, int numClasses) {
    long n = reader.size();
    int s = reader.exampleSize();
    checkArgument(n * s <= Integer.MAX_VALUE - 8, "%s: %s examples of %s values do not fit one "
        + "Java array: stream them", reader.source(), n, s);
    float[] features = new float[(int) (n * s)];
    int[] labels = new int[(int) n];
    int i = 0;
    int max = -1;
    for (ExampleReader.Shard shard : reader.shards()) {
      try (ExampleReader.Cursor c = shard.open()) {
        while (i < n && c.next(features, i * s)) {
          ExampleChecks.checkFinite(features, i * s, s, c);
          labels[i] = c.label();
          if (numClasses > 0) {
            ExampleChecks.checkLabel(labels[i], numClasses, c);
          }
          max = Math.max(max, labels[i]);
          i++;
        }
      }
    }
    if (i != n) {
      throw new CountMismatchException(reader.source(), -1, "gave " + i + " examples where its "
          + "shards declare " + n, "The data changed while it was read; read it again.");
    }
    return new InMemoryData(reader.source(), reader.exampleShape(), features, labels,
        numClasses > 0 ? numClasses : max + 1);
  }

  /**
   * Reads every example once without keeping it, checking values and labels; returns the number
   * of classes ({@code numClasses}, or the largest label + 1 when it is 0).
   */
  public static int scan(ExampleReader reader, int numClasses) {
    int s = reader.exampleSize();
    float[] x = new float[s];
    int max = -1;
    for (ExampleReader.Shard shard : reader.shards()) {
      try (ExampleReader.Cursor c = shard.open()) {
        while (c.next(x, 0)) {
          ExampleChecks.checkFinite(x, 0, s, c);
          if (numClasses > 0) {
            ExampleChecks.checkLabel(c.label(), numClasses, c);
          }
          max = Math.max(max, c.label());
        }
      }
    }
    return numClasses > 0 ? numClasses : max + 1;
  }
}
