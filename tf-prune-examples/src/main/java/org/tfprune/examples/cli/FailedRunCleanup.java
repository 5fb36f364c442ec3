package org.tfprune.examples.cli;

import static org.tfprune.examples.cli.PruneRun.DENSE_CHECKPOINT;
import static org.tfprune.examples.cli.PruneRun.PRUNE_CHECKPOINT;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What a started {@link PruneRun} removes when it fails: partial checkpoints, the checkpoint
 * directory and the output's parent directories it created.
 */
final class FailedRunCleanup {
  private final Path out;
  private final Path ckpt;
  private final boolean ckptExisted;
  private final List<Path> newParents;

  private FailedRunCleanup(Path out, Path ckpt) {
    this.out = out;
    this.ckpt = ckpt;
    this.ckptExisted = ckpt != null && Files.exists(ckpt);
    this.newParents = missingParents(out);
  }

  /**
   * Notes, before a run starts, what exists of its output's parents and of its checkpoint
   * directory {@code ckpt} (null without checkpoints), so that a failure removes only what the
   * run created.
   */
  static FailedRunCleanup before(Path out, Path ckpt) {
    return new FailedRunCleanup(out, ckpt);
  }

  /** The failure of the run for {@code e}, after cleaning up what the run left. */
  RunFailedException failed(RuntimeException e) {
    return failed(e, out, ckpt, ckptExisted, newParents);
  }

  /** The directories above {@code out} that do not exist yet, deepest first. */
  private static List<Path> missingParents(Path out) {
    List<Path> missing = new java.util.ArrayList<>();
    for (Path p = out.toAbsolutePath().normalize().getParent(); p != null && !Files.exists(p);
        p = p.getParent()) {
      missing.add(p);
    }
    return missing;
  }

  /**
   * The failure of a started run: removes what the run left of its checkpoints when no complete
   * checkpoint was saved (the directory too when the run created it) and the empty directories it
   * created above the output, and says what is left.
   */
  private static RunFailedException failed(RuntimeException e, Path out, Path ckpt,
      boolean ckptExisted, List<Path> newParents) {
    String m = e.getMessage() == null ? e.toString() : e.getMessage();
    // TensorFlow's node names and its hint about out-of-memory reports only add noise here
    m = m.replaceAll("\\s*\\[\\[\\{\\{node [^}]*\\}\\}\\]\\]", "")
        .replaceAll("\\s*Hint: If you want to see a list of allocated tensors"
            + "[^.]*\\.[^.]*\\.[\\s.]*", ". ")
        .replaceAll("\\.\\s*\\.\\s", ". ").strip();
    if (m.contains("No space left on device") && !m.startsWith("the disk is full")) {
      m = "the disk is full: " + m;
    }
    StringBuilder msg = new StringBuilder(m);
    if (!m.endsWith(".")) {
      msg.append('.');
    }
    if (!m.toLowerCase(java.util.Locale.ROOT).contains("nothing was written")) {
      msg.append(" Nothing was written to ").append(out).append('.');
    }
    if (ckpt != null && Files.isDirectory(ckpt)) {
      try {
        try (var tmps = Files.newDirectoryStream(ckpt, "*.tmp")) {
          for (Path t : tmps) {
            Files.deleteIfExists(t); // a checkpoint cut short by the failure
          }
        }
        boolean saved = Files.exists(ckpt.resolve(PRUNE_CHECKPOINT))
            || Files.exists(ckpt.resolve(DENSE_CHECKPOINT));
        if (saved) {
          msg.append(" The training state saved before the failure is in ").append(ckpt)
              .append(": once the cause is fixed, rerun the same command with --resume, or "
                  + "delete it to start over.");
        } else if (!ckptExisted) {
          try (var rest = Files.list(ckpt)) {
            if (rest.findAny().isEmpty()) {
              Files.delete(ckpt);
            }
          }
        }
      } catch (java.io.IOException | RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
    }
    for (Path p : newParents) { // the directories the run created for its output, if empty
      try {
        Files.deleteIfExists(p);
      } catch (java.io.IOException | RuntimeException notEmpty) {
        break;
      }
    }
    return new RunFailedException(msg.toString(), e);
  }
}
