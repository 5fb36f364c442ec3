package org.tfprune.examples.cli;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tfprune.build.ParameterInitializer;
import org.tfprune.examples.report.RunReport;
import org.tfprune.export.BatchNormFolding;
import org.tfprune.export.ExportException;
import org.tfprune.export.InferenceModel;
import org.tfprune.export.SavedModelInspector;
import org.tfprune.models.Models;
import org.tfprune.spec.ArchitectureSpec;

/**
 * The model pairs of a side-by-side {@code tf-prune bench} run, checked before anything is
 * timed: each {@code --saved-model DIR} (an export with its {@code report.json}) paired with
 * the dense network its report names (rebuilt at random weights and exported with the same
 * settings for a {@code train} export; the original model for a {@code prune} export), and
 * each {@code --pair compact=DIR,dense=DIR}. The dense networks rebuilt for the run live in a
 * temporary directory, deleted by {@link #close()}.
 */
final class BenchPlan implements AutoCloseable {
  /**
   * One pair: its label, both served interfaces, where the dense model comes from and the MACs
   * of both (from the export's report, or counted in the two graphs for a {@code --pair}).
   */
  record Entry(String name, ServingInterface compact, ServingInterface dense,
      String denseOrigin, long compactMacs, long denseMacs) {}

  /** A pair as given, before the dense network is made; MACs from its report, or null. */
  private record Given(String name, Path compact, Path dense, ArchitectureSpec denseSpec,
      ServingInterface compactInterface, long[] reportMacs) {}

  private final List<Entry> entries;
  private final Path tmp;

  private BenchPlan(List<Entry> entries, Path tmp) {
    this.entries = List.copyOf(entries);
    this.tmp = tmp;
  }

  /** The pairs, in the order given ({@code --saved-model} first, then {@code --pair}). */
  List<Entry> entries() {
    return entries;
  }

  /**
   * Checks every model given and exports the dense networks the reports name.
   *
   * @throws ExportException naming the bad input and the fix; nothing is left behind
   */
  static BenchPlan of(List<Path> savedModels, List<String> pairs) throws IOException {
    List<Given> given = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (Path dir : savedModels) {
      RunReport report = readReport(dir);
      ServingInterface c = ServingInterface.read(dir, "--saved-model", null);
      String name = unique(names, dir.toAbsolutePath().normalize().getFileName().toString());
      long[] macs = {report.export().graphMacs() > 0 ? report.export().graphMacs()
          : report.compact().macs(), report.dense().macs()};
      if (report.imported() != null) {
        Path original = Path.of(report.imported().source());
        if (!Files.isRegularFile(original.resolve("saved_model.pb"))) {
          throw new ExportException("--saved-model " + dir + " was pruned from " + original
              + ", which is not a SavedModel directory (any more): pass --pair compact=" + dir
              + ",dense=ORIGINAL with the SavedModel it was pruned from");
        }
        given.add(new Given(name, dir, original, null, c, macs));
      } else {
        ArchitectureSpec spec = denseSpec(report);
        long[] shape = spec.input().shape().stream().mapToLong(Integer::longValue).toArray();
        checkShapes(name, c, shape, "the dense network its report.json names");
        given.add(new Given(name, dir, null, spec, c, macs));
      }
    }
    for (String p : pairs) {
      Map<String, String> kv = parsePair(p);
      Path compact = Path.of(kv.get("compact"));
      ServingInterface c = ServingInterface.read(compact, "--pair compact=" + compact, null);
      String name = unique(names, kv.getOrDefault("name",
          compact.toAbsolutePath().normalize().getFileName().toString()));
      given.add(new Given(name, compact, Path.of(kv.get("dense")), null, c, null));
    }
    // every path exists and parses; the dense originals are read before anything is exported
    List<long[]> macs = new ArrayList<>();
    for (Given g : given) {
      if (g.dense() != null) {
        ServingInterface d = ServingInterface.read(g.dense(), "--pair dense=" + g.dense(),
            g.compactInterface().outputKey());
        checkShapes(g.name(), g.compactInterface(), d.exampleShape(), "dense " + g.dense());
      }
      macs.add(g.reportMacs() != null ? g.reportMacs()
          : new long[] {count(g.name(), g.compact()), count(g.name(), g.dense())});
    }
    Path tmp = Files.createTempDirectory("tf-prune-bench");
    try {
      List<Entry> entries = new ArrayList<>();
      for (int i = 0; i < given.size(); i++) {
        Given g = given.get(i);
        long c = macs.get(i)[0];
        long d = macs.get(i)[1];
        if (g.dense() != null) {
          entries.add(new Entry(g.name(), g.compactInterface(), ServingInterface.read(g.dense(),
              "--pair dense=" + g.dense(), g.compactInterface().outputKey()),
              g.dense().toString(), c, d));
        } else {
          Path denseDir = tmp.resolve(i + "-dense");
          exportDense(g.denseSpec(), denseDir);
          entries.add(new Entry(g.name(), g.compactInterface(),
              ServingInterface.read(denseDir, "dense network", null), String.format(
                  "%s %s at random weights, batch norm folded (from report.json)",
                  g.denseSpec().name(), g.denseSpec().widthString()), c, d));
        }
      }
      return new BenchPlan(entries, tmp);
    } catch (RuntimeException e) {
      MoreFiles.deleteRecursively(tmp, RecursiveDeleteOption.ALLOW_INSECURE);
      throw e;
    }
  }

  /** The MACs counted in the graph of the SavedModel at {@code dir} (a {@code --pair}). */
  private static long count(String name, Path dir) {
    long macs;
    try {
      macs = SavedModelInspector.open(dir).complexity().macs();
    } catch (ExportException e) {
      throw new ExportException("model " + name + ": cannot count the MACs of " + dir + " ("
          + e.getMessage() + "): give an export of 'tf-prune train' or 'tf-prune prune' as "
          + "--saved-model, whose report.json holds the MACs of both models", e);
    }
    if (macs <= 0) {
      throw new ExportException("model " + name + ": no MACs counted in " + dir + " (no "
          + "matrix product or convolution with a variable kernel): bench compares networks "
          + "with products; give an export of 'tf-prune train' or 'tf-prune prune' as "
          + "--saved-model instead");
    }
    return macs;
  }

  /** The report of a {@code train} or {@code prune} export. */
  static RunReport readReport(Path dir) throws IOException {
    Path reportFile = dir.resolve("report.json");
    if (!Files.isRegularFile(reportFile)) {
      throw new ExportException(reportFile + " does not exist: point --saved-model to a "
          + "directory written by 'tf-prune train' or 'tf-prune prune' (run README command 1 "
          + "first), or give a model without a report as --pair compact=DIR,dense=DIR");
    }
    try {
      return RunReport.fromJson(Files.readAllBytes(reportFile));
    } catch (UncheckedIOException e) {
      throw new ExportException(reportFile + " cannot be read (" + e.getCause().getMessage()
          .lines().findFirst().orElse("") + "): export the model again, or give it as --pair "
          + "compact=DIR,dense=DIR", e);
    }
  }

  /**
   * The dense network a {@code train} export's report names, at the width it was trained with
   * ({@code --width-multiplier}, found from the report's dense widths).
   */
  static ArchitectureSpec denseSpec(RunReport report) {
    int[] shape = report.settings().inputShape().stream().mapToInt(Integer::intValue)
        .toArray();
    int classes = report.dense().widthPerLayer().values().stream().reduce((a, b) -> b)
        .orElseThrow();
    boolean coupled = !report.dense().streamWidthString().isEmpty();
    String model = report.settings().model();
    ArchitectureSpec full = Models.create(model, shape, classes, 1.0, coupled);
    if (full.widthString().equals(report.dense().widths())) {
      return full;
    }
    // a narrower or wider start: the ratio of the first prunable layer's widths
    String layer = full.layers().get(0).name();
    Integer trained = report.dense().widthPerLayer().get(layer);
    if (trained != null) {
      double multiplier = trained / (double) full.layers().get(0).width();
      ArchitectureSpec scaled = Models.create(model, shape, classes, multiplier, coupled);
      if (scaled.widthString().equals(report.dense().widths())) {
        return scaled;
      }
    }
    throw new ExportException(String.format("the dense network of this export's report.json "
        + "(%s %s) cannot be rebuilt from its model name: time it against the dense SavedModel "
        + "with --pair compact=DIR,dense=DIR", model, report.dense().widths()));
  }

  /** Exports {@code spec} at random weights with the default export settings (BN folded). */
  static void exportDense(ArchitectureSpec spec, Path dir) {
    BatchNormFolding.Folded dense = BatchNormFolding.fold(spec,
        ParameterInitializer.initialize(spec, 1, 1f));
    try (InferenceModel d = InferenceModel.of(dense.spec(), dense.parameters())) {
      d.save(dir, false, Map.of());
    }
  }

  private static void checkShapes(String name, ServingInterface compact, long[] dense,
      String denseName) {
    if (!Arrays.equals(compact.exampleShape(), dense)) {
      throw new ExportException("model " + name + ": the input shapes differ, compact "
          + compact.dir() + " takes " + compact.shapeString() + " per example and "
          + denseName + " takes " + Arrays.toString(dense) + ": pair a compact model with "
          + "the dense model it was pruned from");
    }
  }

  /** {@code compact=DIR,dense=DIR[,name=LABEL]} as a map. */
  private static Map<String, String> parsePair(String p) {
    String usage = ": write --pair compact=DIR,dense=DIR (optionally ,name=LABEL)";
    Map<String, String> kv = new LinkedHashMap<>();
    for (String part : p.split(",")) {
      int eq = part.indexOf('=');
      String key = eq < 0 ? part : part.substring(0, eq).strip();
      if (eq < 0 || !Set.of("compact", "dense", "name").contains(key)
          || part.substring(eq + 1).isBlank() || kv.put(key, part.substring(eq + 1)) != null) {
        throw new ExportException("--pair " + p + ": cannot read '" + part + "'" + usage);
      }
    }
    if (!kv.containsKey("compact") || !kv.containsKey("dense")) {
      throw new ExportException("--pair " + p + " needs both compact= and dense=" + usage);
    }
    return kv;
  }

  /** {@code name}, or {@code name-2}, {@code name-3}... when it is taken. */
  private static String unique(Set<String> names, String name) {
    String n = name;
    for (int i = 2; !names.add(n); i++) {
      n = name + "-" + i;
    }
    return n;
  }

  @Override
  public void close() throws IOException {
    MoreFiles.deleteRecursively(tmp, RecursiveDeleteOption.ALLOW_INSECURE);
  }
}
