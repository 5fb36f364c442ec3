package org.tfprune.train;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import java.nio.file.Path;

/**
 * Where a trainer saves its whole state and how often, and whether it starts from a saved state.
 *
 * @param file the checkpoint file; it is replaced atomically at each save
 * @param everySteps steps between two saves (0 = at the end of every epoch)
 * @param resume continue from {@code file} when it exists (a missing file starts a fresh run)
 */
public record CheckpointPolicy(Path file, int everySteps, boolean resume) {
  public CheckpointPolicy {
    checkNotNull(file, "checkpoint file");
    checkArgument(everySteps >= 0, "checkpoint interval must be >= 0 steps (0 = every epoch), "
        + "got %s", everySteps);
  }

  /** Saves at the end of every epoch. */
  public static CheckpointPolicy everyEpoch(Path file, boolean resume) {
    return new CheckpointPolicy(file, 0, resume);
  }
}
