package org.tfprune.examples.cli;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Signature;
import org.tfprune.examples.bench.CClient;
import org.tfprune.examples.bench.InterleavedSteps;
import org.tfprune.examples.bench.LatencyBenchmark;
import org.tfprune.examples.bench.OpTrace;
import org.tfprune.examples.bench.SyntheticPruning;
import org.tfprune.examples.data.Datasets;
import org.tfprune.examples.data.ImagesTrainingData;
import org.tfprune.examples.report.RunReport;
import org.tfprune.export.InferenceModel;
import org.tfprune.export.SavedModelInspector;
import org.tfprune.export.SavedModelLoader;
import org.tfprune.models.Models;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.train.PruningTrainer;
import org.tfprune.train.TrainerConfig;
import org.tfprune.train.TrainingListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tf-prune bench}: (1) latency of an exported compact SavedModel against its dense
 * network, both served from SavedModels in this process, alternating runs, at several batch
 * sizes, beside the MACs ratio; (2) training step time of the gated network against the dense one
 * (same data, same batch; and without input gates, when the input is gated), the trainings
 * taking turns of 100 steps ({@link InterleavedSteps}). With several models ({@code
 * --saved-model} repeated, {@code --pair}) or {@code --json}: the latency of all pairs,
 * interleaved round-robin, in one summary table ({@link SideBySideBench}).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Compact-vs-dense latency at several batch sizes beside the MACs ratio, and "
        + "gated-vs-dense training step time, measured side by side in one run. Several "
        + "models (--saved-model repeated, --pair): the latency of all of them interleaved "
        + "in one run, one summary table (and --json FILE).")
final class BenchCommand implements Callable<Integer> {
  /** The model {@code bench} times when none is given. */
  static final Path DEFAULT_MODEL = Path.of("saved-models/lenet-300-100-mnist");

  @Option(names = "--saved-model", paramLabel = "DIR", description = "A directory written by "
      + "'tf-prune train' or 'tf-prune prune' (SavedModel + report.json), timed against the "
      + "dense network its report names. Repeat to time several models side by side. "
      + "Default: saved-models/lenet-300-100-mnist.")
  List<Path> savedModels;

  @Option(names = "--pair", paramLabel = "compact=DIR,dense=DIR[,name=LABEL]",
      description = "A compact SavedModel and the dense one to time it against (no report "
          + "needed; both take the same input). Repeatable, with --saved-model too.")
  List<String> pairs;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the side-by-side "
      + "summary table as JSON to FILE (replaced if it exists).")
  Path json;

  @Option(names = "--model", description = "Instead of --saved-model: time this network "
      + "(e.g. vgg-16, resnet-56) at its initial weights against itself cut to "
      + "--keep-fraction of every filter and unit group, no training.")
  String model;

  @Option(names = "--keep-fraction", defaultValue = "0.5",
      description = "With --model: the fraction of each group's filters or units kept. "
          + "Default: ${DEFAULT-VALUE}.")
  double keepFraction;

  @Option(names = "--input-shape", split = ",", description = "With --model: the input shape "
      + "of one example. Default: 32,32,3 (784 for lenet-300-100).")
  int[] inputShape;

  @Option(names = "--batches", split = ",", defaultValue = "1,32,256,1024",
      description = "Batch sizes. Default: ${DEFAULT-VALUE}.")
  int[] batches;

  @Option(names = "--budget-ms", defaultValue = "3000",
      description = "Time spent per batch size (per model pair and batch size when several "
          + "are timed). Default: ${DEFAULT-VALUE}.")
  long budgetMs;

  /** The largest batch {@code --trace} traces. */
  static final int MAX_TRACED_BATCH = 256;

  @Option(names = "--trace", description = "Also print where a call's time goes, per op "
      + "type, for both models at each batch size up to 256 (traced runs).")
  boolean trace;

  @Option(names = "--profile", split = ",", paramLabel = "BATCH[,BATCH...]",
      description = "After the latency runs, trace every model (compact, dense and a one-op "
          + "identity graph fed the same input) at these batch sizes and print, per op, its "
          + "time and share of the call (also in --json). Runs side by side.")
  int[] profile;

  @Option(names = "--c-client", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Also time both SavedModels through TensorFlow's C API outside the JVM "
          + "(built by scripts/build-c-bench.sh; skipped with a message when there is no C "
          + "compiler), with oneDNN off and on. Default: on.")
  boolean cClient;

  @Option(names = "--c-rounds", defaultValue = "300",
      description = "Interleaved rounds per batch size in the C client. Default: "
          + "${DEFAULT-VALUE}.")
  int cRounds;

  @Option(names = "--step-epochs", defaultValue = "6",
      description = "Epochs of each training in the step-time comparison; the first is not "
          + "timed (0 skips the comparison). Default: ${DEFAULT-VALUE}.")
  int stepEpochs;

  @Option(names = "--step-examples", defaultValue = "51200",
      description = "Training examples per step-time epoch. Default: ${DEFAULT-VALUE}.")
  int stepExamples;

  @Override
  public Integer call() throws IOException {
    TrainerConfig defaults = TrainerConfig.builder().build();
    int minExamples = 2 * defaults.pruneCheckEvery() * defaults.batchSize();
    checkArgument(stepEpochs == 0 || stepEpochs >= 2, "--step-epochs must be 0 (no step-time "
        + "comparison) or at least 2 (the first epoch is not timed), got %s", stepEpochs);
    checkArgument(stepEpochs == 0 || stepExamples >= minExamples, "--step-examples must be at "
        + "least %s (two turns of %s steps of batch %s per epoch), got %s", minExamples,
        defaults.pruneCheckEvery(), defaults.batchSize(), stepExamples);
    List<Path> dirs = savedModels != null ? savedModels
        : pairs == null ? List.of(DEFAULT_MODEL) : List.of();
    List<String> given = pairs != null ? pairs : List.of();
    if (model != null) {
      checkArgument(savedModels == null && given.isEmpty() && json == null, "--model times "
          + "one network cut to --keep-fraction: drop --saved-model, --pair and --json, or "
          + "drop --model");
      synthetic();
      return 0;
    }
    if (dirs.size() + given.size() > 1 || !given.isEmpty() || json != null || profile != null
        || BenchPlan.readReport(dirs.get(0)).imported() != null) {
      return sideBySide(dirs, given);
    }
    Path savedModel = dirs.get(0);
    RunReport report = BenchPlan.readReport(savedModel);
    ArchitectureSpec spec = BenchPlan.denseSpec(report);
    latency(spec, report.dense().widths(), report.compact().widths(), savedModel);
    if (stepEpochs > 0) {
      stepTime(spec, report.settings().dataset());
    }
    return 0;
  }

  /** Several models (or --pair, or --json): JVM latency of all pairs, round-robin. */
  private int sideBySide(List<Path> dirs, List<String> given) throws IOException {
    checkArgument(!trace, "--trace traces one model: drop --trace (--profile traces every "
        + "model side by side), or bench a single --saved-model without --pair, --json and "
        + "--profile");
    checkArgument(Arrays.stream(batches).allMatch(b -> b > 0), "--batches must be positive, "
        + "got %s", Arrays.toString(batches));
    checkArgument(budgetMs >= 0, "--budget-ms must be 0 or more, got %s", budgetMs);
    int[] profiled = profile != null ? profile : new int[0];
    checkArgument(Arrays.stream(profiled).allMatch(b -> b > 0), "--profile takes positive "
        + "batch sizes, e.g. --profile 256,1024, got %s", Arrays.toString(profiled));
    if (json != null) {
      SideBySideBench.checkJsonTarget(json);
    }
    try (BenchPlan plan = BenchPlan.of(dirs, given)) {
      System.out.println("Side by side: latency in the JVM, then through the C client (the "
          + "step-time comparison and --trace run with a single --saved-model and no --json)");
      CClient client = cClient ? CClient.build(Path.of("").toAbsolutePath(), 300).orElse(null)
          : null;
      new SideBySideBench(batches, budgetMs, json, profiled, client, cRounds, System.out)
          .run(plan);
    }
    return 0;
  }

  /** Latency of a network cut to --keep-fraction of its widths (no training). */
  private void synthetic() throws IOException {
    int[] shape = inputShape != null ? inputShape
        : model.toLowerCase(java.util.Locale.ROOT).startsWith("lenet-300") ? new int[] {784}
        : new int[] {32, 32, 3};
    ArchitectureSpec spec = Models.create(model, shape, 10, 1.0, false);
    Path tmp = Files.createTempDirectory("tf-prune-bench-model");
    try {
      ArchitectureSpec compact = SyntheticPruning.export(spec, keepFraction,
          tmp.resolve("compact"), 1);
      System.out.printf("%s %s at its initial weights, every filter / unit group cut to its "
          + "first %.2f, exported with the default settings%n", model,
          java.util.Arrays.toString(shape), keepFraction);
      latency(spec, spec.widthString(), compact.widthString(), tmp.resolve("compact"));
    } finally {
      MoreFiles.deleteRecursively(tmp, RecursiveDeleteOption.ALLOW_INSECURE);
    }
  }

  private void latency(ArchitectureSpec spec, String denseWidths, String compactWidths,
      Path compactDir) throws IOException {
    Path tmp = Files.createTempDirectory("tf-prune-bench");
    Path denseDir = tmp.resolve("dense");
    try {
      // the dense network gets the same export as the compact one: batch norm folded
      BenchPlan.exportDense(spec, denseDir);
      long compactMacs = SavedModelInspector.open(compactDir).complexity().macs();
      long denseMacs = SavedModelInspector.open(denseDir).complexity().macs();
      double macsRatio = (double) denseMacs / compactMacs;
      long[] shape = spec.input().shape().stream().mapToLong(Integer::longValue).toArray();
      String in;
      String out;
      try (SavedModelBundle d = SavedModelLoader.load(denseDir, "serve");
          SavedModelBundle c = SavedModelLoader.load(compactDir, "serve")) {
        LatencyBenchmark.Target dt = target(d, spec);
        LatencyBenchmark.Target ct = target(c, spec);
        in = ct.input();
        out = ct.output();
        List<LatencyBenchmark.Measured> rows = LatencyBenchmark.measure(dt, ct, batches,
            budgetMs, 7);
        System.out.printf("%nInference latency, SavedModels served side by side in this JVM "
            + "(TF_ENABLE_ONEDNN_OPTS=%s); medians of interleaved runs, speedup = median of "
            + "the per-round ratios dense / compact (middle half in brackets)%n",
            System.getenv().getOrDefault("TF_ENABLE_ONEDNN_OPTS", "unset"));
        System.out.printf("dense %s: %d MACs; compact %s: %d MACs; MACs ratio %.2fx%n",
            denseWidths, denseMacs, compactWidths, compactMacs,
            macsRatio);
        System.out.printf("%-8s %10s %11s %20s %11s %12s %7s%n", "batch", "dense ms",
            "compact ms", "speedup", "MACs ratio", "/MACs ratio", "rounds");
        for (LatencyBenchmark.Measured r : rows) {
          System.out.printf("%-8d %10.3f %11.3f %7.2fx (%.2f-%.2fx) %10.2fx %12.2f %7d%n",
              r.batch(), r.denseMs(), r.compactMs(), r.ratio(), r.ratioQ25(), r.ratioQ75(),
              macsRatio, r.ratio() / macsRatio, r.rounds());
        }
        if (trace) {
          System.out.printf("%nWhere a call's time goes (%d traced runs per model and batch; "
              + "op times are kernel compute times summed per call)%n", 50);
          for (int b : batches) {
            if (b > MAX_TRACED_BATCH) {
              // a traced run at batch 1024 of LeNet-5 crashed TensorFlow 2.16 in the JVM
              System.out.printf("batch %d not traced (traces stop at batch %d)%n", b,
                  MAX_TRACED_BATCH);
              continue;
            }
            OpTrace.print(List.of(OpTrace.trace("dense", dt, b, 50, 7),
                OpTrace.trace("compact", ct, b, 50, 7)), System.out);
            System.out.println();
          }
        }
      }
      if (cClient) {
        cLatency(denseDir, compactDir, in, out, shape, macsRatio);
      }
    } finally {
      MoreFiles.deleteRecursively(tmp, RecursiveDeleteOption.ALLOW_INSECURE);
    }
  }

  /** The same comparison through the C client, with oneDNN off and on, and a trivial graph. */
  private void cLatency(Path denseDir, Path compactDir, String in, String out, long[] shape,
      double macsRatio) {
    Optional<CClient> client = CClient.build(Path.of("").toAbsolutePath(), 300);
    if (client.isEmpty()) {
      return;
    }
    Map<String, Path> models = new LinkedHashMap<>();
    models.put("dense", denseDir);
    models.put("compact", compactDir);
    for (String onednn : List.of("0", "1")) {
      List<CClient.Line> lines = client.get().run(models, in, out, shape, batches, cRounds,
          true, Map.of("TF_ENABLE_ONEDNN_OPTS", onednn), 1800);
      System.out.printf("%nInference latency through the C API (scripts/c-bench/tfbench.c, a "
          + "child process, TF_ENABLE_ONEDNN_OPTS=%s): %d interleaved rounds per batch, medians "
          + "(middle half in brackets); identity = a one-op graph, the fixed cost of a call%n",
          onednn, cRounds);
      System.out.printf("%-8s %20s %20s %14s %20s %12s%n", "batch", "dense ms", "compact ms",
          "identity ms", "speedup", "/MACs ratio");
      for (int b : batches) {
        Map<String, CClient.Line> at = new LinkedHashMap<>();
        lines.stream().filter(l -> l.batch() == b).forEach(l -> at.put(l.label(), l));
        CClient.Line d = at.get("dense");
        CClient.Line c = at.get("compact");
        CClient.Line r = at.get("ratio");
        CClient.Line i = at.get("identity");
        System.out.printf("%-8d %8.3f (%.3f-%.3f) %8.3f (%.3f-%.3f) %14.4f %7.2fx (%.2f-%.2fx) "
            + "%12.2f%n", b, d.median(), d.q25(), d.q75(), c.median(), c.q25(), c.q75(),
            i.median(), r.median(), r.q25(), r.q75(), r.median() / macsRatio);
      }
    }
  }

  private static LatencyBenchmark.Target target(SavedModelBundle b, ArchitectureSpec spec) {
    Signature sig = b.function(InferenceModel.SIGNATURE_KEY).signature();
    String in = sig.getInputs().get(sig.inputNames().iterator().next()).name;
    String out = sig.getOutputs().get(InferenceModel.LOGITS).name;
    long[] shape = spec.input().shape().stream().mapToLong(Integer::longValue).toArray();
    return new LatencyBenchmark.Target(b.session(), in, out, spec.input().size(), shape);
  }

  private void stepTime(ArchitectureSpec spec, String dataset) {
    Datasets.Split split = Datasets.load(dataset);
    ImagesTrainingData data = new ImagesTrainingData(split.train().head(stepExamples));
    ImagesTrainingData eval = new ImagesTrainingData(split.test().head(1000));
    // no rebuild: the gated graph stays the full network ("before any pruning")
    TrainerConfig gated = TrainerConfig.builder().epochs(stepEpochs).rebuildThreshold(0).build();
    TrainerConfig dense = gated.toBuilder().gated(false).build();
    List<Consumer<TrainingListener>> runs = new ArrayList<>(List.of(
        l -> new PruningTrainer(dense, l).train(spec, data, eval),
        l -> new PruningTrainer(gated, l).train(spec, data, eval)));
    List<String> labels = new ArrayList<>(List.of("dense", "gated"));
    if (spec.input().gated()) {
      // the input gates' share of the cost: the same network with unit gates only
      ArchitectureSpec unitsOnly = spec.withoutInputGates();
      runs.add(l -> new PruningTrainer(gated, l).train(unitsOnly, data, eval));
      labels.add("gated, no input gates");
    }
    InterleavedSteps.Blocks b = InterleavedSteps.compare(runs);
    double[] d = b.of(0);
    checkState(d.length > 0, "no step block was timed: raise --step-epochs or --step-examples");
    System.out.printf("%nTraining step time, %s, batch %d: the networks train in turns of %d "
        + "steps; %d turns each timed (epochs 2-%d); ratios are medians of the per-round ratios "
        + "to dense (middle half in brackets)%n", spec.widthString(), gated.batchSize(),
        gated.pruneCheckEvery(), d.length, stepEpochs);
    System.out.printf("%-24s %9.3f ms/step%n", labels.get(0), median(d));
    for (int i = 1; i < labels.size(); i++) {
      double[] r = b.ratios(i);
      System.out.printf("%-24s %9.3f ms/step   / dense = %.2fx (%.2f-%.2fx)%n", labels.get(i),
          median(b.of(i)), median(r), InterleavedSteps.quantile(r, 0.25),
          InterleavedSteps.quantile(r, 0.75));
    }
  }

  private static double median(double[] v) {
    return InterleavedSteps.quantile(v, 0.5);
  }
}
