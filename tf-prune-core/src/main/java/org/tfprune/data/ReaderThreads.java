package org.tfprune.data;

import java.util.concurrent.BlockingQueue;

/** Stops the background threads that read data ahead into a queue. */
final class ReaderThreads {
  /** How long {@link #stop} waits for a reader thread to end. */
  private static final long JOIN_MILLIS = 10_000;

  private ReaderThreads() {}

  /**
   * Interrupts {@code thread}, empties {@code queue} so that a blocked put returns, and waits for
   * the thread to end; an interrupt while waiting is kept on the calling thread.
   */
  static void stop(Thread thread, BlockingQueue<?> queue) {
    thread.interrupt();
    queue.clear();
    try {
      thread.join(JOIN_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
