package org.tfprune.data;

/**
 * How a streamed data set kept up: batches delivered, the reader thread's busy time (reading,
 * decoding and checking, not counting waits for a free queue slot) and the time the training step
 * waited for a batch. When the disk keeps up, {@code waitNanos} stays near zero.
 */
public record StreamStats(long batches, long readerBusyNanos, long waitNanos) {
  /** The reader's busy time per delivered batch, in milliseconds. */
  public double readerMillisPerBatch() {
    return batches == 0 ? 0 : readerBusyNanos / 1e6 / batches;
  }

  /** The training step's wait per batch, in milliseconds. */
  public double waitMillisPerBatch() {
    return batches == 0 ? 0 : waitNanos / 1e6 / batches;
  }

  @Override
  public String toString() {
    return String.format("%d batches, reader busy %.3f ms/batch, step waited %.3f ms/batch",
        batches, readerMillisPerBatch(), waitMillisPerBatch());
  }
}
