package org.tfprune.examples.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The C API latency client ({@code scripts/c-bench/tfbench.c}): built by {@code
 * scripts/build-c-bench.sh}, run as a child process with a timeout, so a SavedModel is timed
 * without the JVM (and with a TF_ENABLE_ONEDNN_OPTS of the caller's choice).
 */
public final class CClient {
  private final Path binary;

  private CClient(Path binary) {
    this.binary = binary;
  }

  /**
   * Builds the client from the checkout at {@code repoRoot}; empty, with the reason printed, when
   * the script is missing or there is no C compiler.
   */
  public static Optional<CClient> build(Path repoRoot, long timeoutSeconds) {
    Path script = repoRoot.resolve("scripts/build-c-bench.sh");
    if (!Files.isRegularFile(script)) {
      System.out.println("C client skipped: " + script + " not found (run bench from the "
          + "tf-prune checkout)");
      return Optional.empty();
    }
    Run r = exec(List.of("bash", script.toString()), Map.of(), timeoutSeconds);
    if (r.code() != 0) {
      System.out.println("C client skipped: " + (r.stderr().isBlank()
          ? "its build failed (exit " + r.code() + ")" : r.stderr().strip()));
      return Optional.empty();
    }
    List<String> lines = r.stdout().strip().lines().toList();
    return Optional.of(new CClient(Path.of(lines.get(lines.size() - 1))));
  }

  /** One line of the client's table: batch, model label, median and quartiles (ms or ratio). */
  public record Line(int batch, String label, double median, double q25, double q75) {}

  /**
   * Times {@code models} (label to SavedModel directory) in interleaved rounds; {@code trivial}
   * adds a one-Identity graph. {@code env} is added to the child's environment.
   */
  public List<Line> run(Map<String, Path> models, String input, String output,
      long[] exampleShape, int[] batches, int rounds, boolean trivial, Map<String, String> env,
      long timeoutSeconds) {
    List<Served> served = new ArrayList<>();
    models.forEach((k, v) -> served.add(new Served(k, v, input, output)));
    return run(served, exampleShape, batches, rounds, trivial, false, env, timeoutSeconds);
  }

  /** A SavedModel to time: its label, directory and input and output tensors. */
  public record Served(String label, Path dir, String input, String output) {}

  /**
   * Times {@code models}, each with its own tensors, in interleaved rounds; with {@code pairs}
   * the client also prints the per-round ratio of each consecutive pair (labels {@code ratio0},
   * {@code ratio1}, ...: the first model's time over the second's).
   */
  public List<Line> run(List<Served> models, long[] exampleShape, int[] batches, int rounds,
      boolean trivial, boolean pairs, Map<String, String> env, long timeoutSeconds) {
    List<String> cmd = new ArrayList<>(List.of(binary.toString(), "--shape",
        join(exampleShape), "--batches", join(batches), "--rounds", Integer.toString(rounds)));
    if (trivial) {
      cmd.add("--trivial");
    }
    if (pairs) {
      cmd.add("--pairs");
    }
    for (Served m : models) {
      cmd.addAll(List.of("--input", m.input(), "--output", m.output(),
          m.label() + "=" + m.dir().toAbsolutePath()));
    }
    Run r = exec(cmd, env, timeoutSeconds);
    if (r.code() != 0) {
      throw new IllegalStateException("the C client failed (exit " + r.code() + "): "
          + r.stderr().strip());
    }
    List<Line> lines = new ArrayList<>();
    for (String l : r.stdout().lines().skip(1).toList()) {
      String[] f = l.trim().split("\\s+");
      lines.add(new Line(Integer.parseInt(f[0]), f[1], Double.parseDouble(f[2]),
          Double.parseDouble(f[3]), Double.parseDouble(f[4])));
    }
    return lines;
  }

  private record Run(int code, String stdout, String stderr) {}

  private static Run exec(List<String> cmd, Map<String, String> env, long timeoutSeconds) {
    try {
      Path out = Files.createTempFile("tf-prune-c", ".out");
      Path err = Files.createTempFile("tf-prune-c", ".err");
      try {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile())
            .redirectError(err.toFile());
        pb.environment().putIfAbsent("TF_CPP_MIN_LOG_LEVEL", "2");
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
          return new Run(-1, "", cmd.get(0) + " did not finish within " + timeoutSeconds
              + " s and was stopped");
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      return new Run(-1, "", "cannot run " + cmd.get(0) + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Run(-1, "", "interrupted");
    }
  }

  private static String join(long[] v) {
    StringBuilder b = new StringBuilder();
    for (long x : v) {
      b.append(b.length() == 0 ? "" : ",").append(x);
    }
    return b.toString();
  }

  private static String join(int[] v) {
    StringBuilder b = new StringBuilder();
    for (int x : v) {
      b.append(b.length() == 0 ? "" : ",").append(x);
    }
    return b.toString();
  }
}
