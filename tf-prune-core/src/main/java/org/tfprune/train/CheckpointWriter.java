package org.tfprune.train;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Writes checkpoints on a background thread, so training does not wait for the disk: one write at
 * a time (a new one first waits for the previous one and rethrows its failure), and {@link #close}
 * waits for the last. A state is an immutable snapshot, so the trainer goes on while it is saved.
 */
final class CheckpointWriter implements AutoCloseable {
  private final CheckpointPolicy policy;
  private final Checkpoint.RunKey key;
  private final ExecutorService executor;
  private Future<?> pending;

  CheckpointWriter(CheckpointPolicy policy, Checkpoint.RunKey key) {
    this.policy = policy;
    this.key = key;
    this.executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "tf-prune-checkpoint");
      t.setDaemon(true);
      return t;
    });
  }

  void submit(TrainingState state) {
    awaitPending();
    pending = executor.submit(() -> Checkpoint.write(policy.file(), state, key));
  }

  private void awaitPending() {
    if (pending == null) {
      return;
    }
    try {
      pending.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CheckpointException("interrupted while saving checkpoint " + policy.file(), e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new CheckpointException("cannot write checkpoint " + policy.file(), e.getCause());
    } finally {
      pending = null;
    }
  }

  /** Waits for the last write. */
  @Override
  public void close() {
    try {
      awaitPending();
    } finally {
      executor.shutdown();
    }
  }
}
