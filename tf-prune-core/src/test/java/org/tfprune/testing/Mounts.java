package org.tfprune.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Small file systems for the tests of unwritable outputs: a tmpfs of a given size (a full disk),
 * remounted read-only, or a directory made immutable with {@code chattr +i}. These work as root,
 * where permission bits do not stop writes; each returns false when the machine does not allow it.
 * Every command gets a timeout that kills it.
 */
public final class Mounts {
  private Mounts() {}

  /** Mounts a tmpfs of {@code size} (e.g. {@code 256k}) on the existing directory {@code dir}. */
  public static boolean tmpfs(Path dir, String size) {
    return run("mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0755", "tmpfs",
        dir.toString());
  }

  /** Remounts the tmpfs on {@code dir} read-only. */
  public static boolean readOnly(Path dir) {
    return run("mount", "-o", "remount,ro", dir.toString());
  }

  /** Unmounts {@code dir}; true when it is unmounted. */
  public static boolean unmount(Path dir) {
    return run("umount", dir.toString()) || run("umount", "-l", dir.toString());
  }

  /** Sets or clears the immutable attribute of {@code dir}. */
  public static boolean immutable(Path dir, boolean on) {
    return run("chattr", on ? "+i" : "-i", dir.toString());
  }

  /** The outcome of the last failed command, for a skip reason. */
  public static String lastFailure = "";

  private static boolean run(String... command) {
    try {
      Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        lastFailure = String.join(" ", command) + ": timed out";
        return false;
      }
      String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        lastFailure = String.join(" ", command) + ": exit " + p.exitValue() + ": " + text.strip();
        return false;
      }
      return true;
    } catch (IOException e) {
      lastFailure = String.join(" ", command) + ": " + e;
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      lastFailure = String.join(" ", command) + ": interrupted";
      return false;
    }
  }
}
