package org.tfprune.examples.cli;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.tfprune.examples.data.Datasets;

/** One run of {@code tf-prune}: its exit code and what it printed. */
record CliRun(int exitCode, String out, String err) {
  /** Runs {@code tf-prune args} in this JVM. */
  static CliRun of(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = TfPruneCli.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new CliRun(code, out.toString(), err.toString());
  }

  /**
   * Runs {@code tf-prune args} in a fresh JVM with stdout and stderr merged into {@code log}
   * (returned as {@link #out}); fails the test, after killing the child, if it does not exit
   * within {@code timeout}.
   */
  static CliRun inChildJvm(Path log, Duration timeout, String... args)
      throws IOException, InterruptedException {
    Process p = startChildJvm(log, List.of(args));
    awaitExit(p, log, timeout);
    return new CliRun(p.exitValue(), read(log), "");
  }

  /**
   * Starts {@code tf-prune args} in a fresh JVM with stdout and stderr merged into {@code log}.
   * The output goes to a file, never to a pipe, so the child cannot block on a full pipe and a
   * wait on it can time out.
   */
  static Process startChildJvm(Path log, List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
        "java").toString(), "-cp", System.getProperty("java.class.path"),
        TfPruneCli.class.getName()));
    cmd.addAll(args);
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
        .start();
  }

  /** Waits for {@code p} to exit; on timeout kills it and fails with its output so far. */
  static void awaitExit(Process p, Path log, Duration timeout)
      throws IOException, InterruptedException {
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      kill(p);
      fail("the child tf-prune did not exit within %s and was killed; its output:%n%s", timeout,
          read(log));
    }
  }

  /**
   * Waits until a line of {@code log} satisfies {@code line} and returns true, or returns false
   * when {@code p} exits first. On timeout kills {@code p} and fails with its output so far.
   */
  static boolean awaitLine(Process p, Path log, Predicate<String> line, Duration timeout)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      boolean exited = !p.isAlive(); // read after this, so nothing the child printed is missed
      if (read(log).lines().anyMatch(line)) {
        return true;
      }
      if (exited) {
        return false;
      }
      if (System.nanoTime() > deadline) {
        kill(p);
        fail("no awaited line from the child tf-prune within %s; killed it; its output:%n%s",
            timeout, read(log));
      }
      Thread.sleep(20);
    }
  }

  /** {@code SIGKILL}s {@code p} (no shutdown hook, no cleanup) and waits until it is gone. */
  static void kill(Process p) throws InterruptedException {
    p.destroyForcibly();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      fail("the child tf-prune (pid %s) survived SIGKILL for 60 s", p.pid());
    }
  }

  private static String read(Path log) throws IOException {
    // decoded leniently: the child may be in the middle of writing a character
    return Files.exists(log) ? new String(Files.readAllBytes(log), StandardCharsets.UTF_8) : "";
  }

  /** The MNIST files the tests use (fetched by {@code scripts/fetch-mnist.sh}). */
  static Path mnist() {
    return Datasets.defaultRoot(Datasets.MNIST).orElseThrow(() -> new AssertionError(
        "MNIST not found: run bash scripts/fetch-mnist.sh"));
  }
}
