package org.tfprune.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tfprune.build.ParameterInitializer;
import org.tfprune.export.InferenceModel;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.InputSpec;

/**
 * Damaged SavedModels never crash the JVM: seeded variants of a small exported model (bit flips,
 * truncation, random overwrites, emptied files in saved_model.pb, variables.index and
 * variables.data-*) are loaded through the importer and through the exported-model loader in a
 * child JVM; each either loads and verifies (the import check passes, the outputs are finite) or
 * is refused with {@code ImportException} / {@code ExportException}, and nothing is left behind.
 * A crashed child is counted and restarted at the next variant. {@code -Dtfprune.fuzz.variants=N}
 * sets the number of variants (default 100), {@code -Dtfprune.fuzz.seed=S} the seed, {@code
 * -Dtfprune.fuzz.logs=DIR} keeps the children's logs (one line per variant and loader).
 */
class MalformedModelFuzzTest {
  private static final int FEATURES = 16;
  private static final long CHILD_TIMEOUT_MINUTES = 10;

  /** Outcome counts of a run. */
  private static final class Counts {
    final Map<String, Integer> byOutcome = new LinkedHashMap<>();
    final List<String> problems = new ArrayList<>();
    int variants;
    int crashes;

    void add(String key) {
      byOutcome.merge(key, 1, Integer::sum);
    }
  }

  @Test
  void damagedModelsLoadAndVerifyOrAreRefusedWithANamedErrorAndNeverCrash(@TempDir Path tmp)
      throws IOException, InterruptedException {
    int variants = Integer.getInteger("tfprune.fuzz.variants", 100);
    long seed = Long.getLong("tfprune.fuzz.seed", 1);
    Path pristine = tmp.resolve("pristine");
    ArchitectureSpec spec = ArchitectureSpec.of("fuzz-mlp", InputSpec.flat(FEATURES, false),
        DenseLayer.gatedRelu("dense0", 8).withGated(false), DenseLayer.logits("output", 4));
    try (InferenceModel m = InferenceModel.of(spec, ParameterInitializer.initialize(spec, 7,
        1f))) {
      m.save(pristine, false, Map.of());
    }
    Path work = Files.createDirectories(tmp.resolve("work"));
    Counts c = new Counts();
    int next = 0;
    while (next < variants) {
      next = runChild(pristine, work, seed, next, variants, c, tmp.resolve("child-" + next
          + ".log"));
    }
    try (var s = Files.list(work)) {
      List<Path> left = s.toList();
      assertThat(left).as("files left in the work directory").isEmpty();
    }
    System.out.printf("fuzz: %d variants (seed %d), %d crashes; outcomes %s%n", c.variants, seed,
        c.crashes, c.byOutcome);
    assertThat(c.variants).isEqualTo(variants);
    assertThat(c.crashes).as("JVM crashes").isZero();
    assertThat(c.problems).as("variants neither verified nor refused with a named error")
        .isEmpty();
    // the fuzzing reached both ends: some variants still load, most are refused
    assertThat(c.byOutcome.getOrDefault("import loaded", 0)).isPositive();
    assertThat(c.byOutcome.getOrDefault("import refused", 0)).isPositive();
    assertThat(c.byOutcome.getOrDefault("export refused", 0)).isPositive();
  }

  /** Runs variants from {@code from} in a child JVM; returns the next variant to try. */
  private static int runChild(Path pristine, Path work, long seed, int from, int to, Counts c,
      Path log) throws IOException, InterruptedException {
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java")
            .toString(), "-Xmx512m", "-cp", System.getProperty("java.class.path"),
        MalformedModelFuzzMain.class.getName(), pristine.toString(), work.toString(),
        String.valueOf(seed), String.valueOf(from), String.valueOf(to),
        String.valueOf(FEATURES));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
        .start();
    boolean finished = p.waitFor(CHILD_TIMEOUT_MINUTES, TimeUnit.MINUTES);
    if (!finished) {
      p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    int last = from - 1;
    boolean done = false;
    String lastVariant = "";
    for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
      String[] f = line.split(" ", 4);
      switch (f[0]) {
        case "VARIANT" -> {
          last = Integer.parseInt(f[1]);
          lastVariant = line;
          c.variants++;
        }
        case "IMPORT", "EXPORT" -> {
          String outcome = f[2];
          String path = f[0].toLowerCase();
          c.add(path + " " + outcome);
          boolean ok = outcome.equals("loaded") || outcome.equals("refused");
          if (!ok) {
            c.problems.add(lastVariant + ": " + line);
          }
        }
        case "PARTIAL" -> c.problems.add(lastVariant + ": " + line);
        case "DONE" -> done = true;
        default -> { }
      }
    }
    String keep = System.getProperty("tfprune.fuzz.logs");
    if (keep != null) {
      Files.createDirectories(Path.of(keep));
      Files.copy(log, Path.of(keep).resolve(log.getFileName()),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    if (!done) {
      c.crashes++;
      c.problems.add("child JVM " + (finished ? "died (exit " + p.exitValue() + ")"
          : "timed out") + " at " + lastVariant + "; its log: " + log);
      Files.walk(work).sorted(java.util.Comparator.reverseOrder())
          .filter(q -> !q.equals(work)).forEach(q -> q.toFile().delete());
    }
    return Math.max(last + 1, from + 1);
  }
}
