package org.tfprune.examples.cli;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Signature;
import org.tfprune.build.ParameterInitializer;
import org.tfprune.examples.bench.InterleavedSteps;
import org.tfprune.examples.bench.LatencyBenchmark;
import org.tfprune.examples.data.Datasets;
import org.tfprune.examples.data.ImagesTrainingData;
import org.tfprune.examples.report.RunReport;
import org.tfprune.export.ExportException;
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
 * taking turns of 100 steps ({@link InterleavedSteps}).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Compact-vs-dense latency at several batch sizes beside the MACs ratio, and "
        + "gated-vs-dense training step time, measured side by side in one run.")
final class BenchCommand implements Callable<Integer> {
  @Option(names = "--saved-model", defaultValue = "saved-models/lenet-300-100-mnist",
      description = "A directory written by 'tf-prune train' (SavedModel + report.json). "
          + "Default: ${DEFAULT-VALUE}.")
  Path savedModel;

  @Option(names = "--batches", split = ",", defaultValue = "1,32,256",
      description = "Batch sizes. Default: ${DEFAULT-VALUE}.")
  int[] batches;

  @Option(names = "--budget-ms", defaultValue = "3000",
      description = "Time spent per batch size. Default: ${DEFAULT-VALUE}.")
  long budgetMs;

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
    Path reportFile = savedModel.resolve("report.json");
    if (!Files.isRegularFile(reportFile)) {
      throw new ExportException(reportFile + " does not exist: point --saved-model to a "
          + "directory written by 'tf-prune train' (run README command 1 first)");
    }
    RunReport report = RunReport.fromJson(Files.readAllBytes(reportFile));
    int[] inputShape = report.settings().inputShape().stream().mapToInt(Integer::intValue)
        .toArray();
    int classes = report.dense().widthPerLayer().values().stream().reduce((a, b) -> b)
        .orElseThrow();
    ArchitectureSpec spec = Models.create(report.settings().model(), inputShape, classes, 1.0,
        !report.dense().streamWidthString().isEmpty()); // a run with coupled stream channels
    latency(spec, report);
    if (stepEpochs > 0) {
      stepTime(spec, report.settings().dataset());
    }
    return 0;
  }

  private void latency(ArchitectureSpec spec, RunReport report) throws IOException {
    Path tmp = Files.createTempDirectory("tf-prune-bench");
    Path denseDir = tmp.resolve("dense");
    try {
      try (InferenceModel dense = InferenceModel.of(spec,
          ParameterInitializer.initialize(spec, 1, 1f))) {
        dense.save(denseDir, false, Map.of());
      }
      long compactMacs = SavedModelInspector.open(savedModel).complexity().macs();
      long denseMacs = SavedModelInspector.open(denseDir).complexity().macs();
      try (SavedModelBundle d = SavedModelLoader.load(denseDir, "serve");
          SavedModelBundle c = SavedModelLoader.load(savedModel, "serve")) {
        List<LatencyBenchmark.Row> rows = LatencyBenchmark.compare(target(d, spec),
            target(c, spec), batches, budgetMs, 7);
        System.out.printf("%nInference latency, SavedModels served side by side (median of "
            + "alternating runs)%n");
        System.out.printf("dense %s: %d MACs; compact %s: %d MACs; MACs ratio %.2fx%n",
            report.dense().widths(), denseMacs, report.compact().widths(), compactMacs,
            (double) denseMacs / compactMacs);
        System.out.printf("%-8s %12s %12s %10s %12s%n", "batch", "dense ms", "compact ms",
            "speedup", "MACs ratio");
        for (LatencyBenchmark.Row r : rows) {
          System.out.printf("%-8d %12.3f %12.3f %9.2fx %11.2fx%n", r.batch(), r.denseMs(),
              r.compactMs(), r.speedup(), (double) denseMacs / compactMacs);
        }
      }
    } finally {
      MoreFiles.deleteRecursively(tmp, RecursiveDeleteOption.ALLOW_INSECURE);
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
