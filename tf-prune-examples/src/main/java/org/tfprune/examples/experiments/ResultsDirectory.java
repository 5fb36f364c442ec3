package org.tfprune.examples.experiments;

import static com.google.common.base.Preconditions.checkState;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;

/**
 * A results directory written in a hidden temporary sibling and moved into place only when
 * complete, so the target never holds half a run. If the run fails the temporary directory is
 * kept (it holds every suite finished so far) and {@link #temporary()} names it.
 */
public final class ResultsDirectory {
  private final Path target;
  private final Path temporary;
  private final boolean overwrite;
  private boolean committed;

  private ResultsDirectory(Path target, Path temporary, boolean overwrite) {
    this.target = target;
    this.temporary = temporary;
    this.overwrite = overwrite;
  }

  /**
   * Creates the temporary directory beside {@code target}. Fails, creating nothing, when
   * {@code target} exists and {@code overwrite} is off.
   */
  public static ResultsDirectory create(Path target, boolean overwrite) {
    Path abs = target.toAbsolutePath().normalize();
    if (Files.exists(abs) && !overwrite) {
      throw new IllegalArgumentException("output directory " + abs + " already exists: choose "
          + "another --out or pass --overwrite to replace it");
    }
    if (Files.exists(abs) && !Files.isDirectory(abs)) {
      throw new IllegalArgumentException("output path " + abs + " is a file: choose another "
          + "--out");
    }
    try {
      Files.createDirectories(abs.getParent());
      Path tmp = Files.createDirectory(abs.getParent().resolve("." + abs.getFileName()
          + ".partial-" + UUID.randomUUID()));
      return new ResultsDirectory(abs, tmp, overwrite);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a directory beside " + abs + " (" + e
          + "): choose a writable --out", e);
    }
  }

  /** Where results are written until {@link #commit}. */
  public Path temporary() {
    return temporary;
  }

  /** The final location. */
  public Path target() {
    return target;
  }

  /** Moves the temporary directory into place (replacing the target if allowed). */
  public void commit() {
    checkState(!committed, "results already moved to %s", target);
    try {
      if (Files.exists(target)) {
        checkState(overwrite, "%s appeared while the experiments ran; results stay in %s",
            target, temporary);
        Path old = target.resolveSibling("." + target.getFileName() + ".old-"
            + UUID.randomUUID());
        Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
        MoreFiles.deleteRecursively(old, RecursiveDeleteOption.ALLOW_INSECURE);
      } else {
        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
      }
      committed = true;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot move the results from " + temporary + " to "
          + target + ": " + e.getMessage() + "; they are complete in " + temporary, e);
    }
  }
}
