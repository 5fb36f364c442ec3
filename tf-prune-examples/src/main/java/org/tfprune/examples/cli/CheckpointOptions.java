package org.tfprune.examples.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where a job saves its training state, how often, and whether it continues a saved job. */
final class CheckpointOptions {
  @Option(names = "--checkpoint-dir", description = "Where the training state is saved while "
      + "the job runs (default: <out>.checkpoint); removed when the job completes.")
  Path dir;

  @Option(names = "--checkpoint-every", defaultValue = "0",
      description = "Steps between two checkpoints (0 = at the end of every epoch). Default: "
          + "${DEFAULT-VALUE}.")
  int everySteps;

  @Option(names = "--no-checkpoint", negatable = true, defaultValue = "true",
      description = "Save checkpoints (default) or not.")
  boolean enabled;

  @Option(names = "--resume", description = "Continue the job saved in the checkpoint "
      + "directory (run the same command line with --resume added).")
  boolean resume;

  /** The checkpoint directory of a job writing to {@code target}, or null without checkpoints. */
  Path dirFor(Path target) {
    if (everySteps < 0) {
      throw new IllegalArgumentException("invalid --checkpoint-every: must be >= 0 steps (0 = at "
          + "the end of every epoch), got " + everySteps);
    }
    if (!enabled) {
      if (resume) {
        throw new IllegalArgumentException("--resume needs checkpoints: drop --no-checkpoint");
      }
      return null;
    }
    return dir != null ? dir : target.resolveSibling(target.getFileName() + ".checkpoint");
  }
}
