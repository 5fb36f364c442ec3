package org.tfprune.examples.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tfprune.api.TfPrune;
import org.tfprune.complexity.Complexity;
import org.tfprune.examples.bench.LatencyBenchmark;
import org.tfprune.examples.data.ImagesTrainingData;
import org.tfprune.examples.data.LabeledImages;
import org.tfprune.examples.report.RunReport;
import org.tfprune.complexity.ComplexityCounter;
import org.tfprune.export.CompactExporter;
import org.tfprune.export.ExportSettings;
import org.tfprune.export.InferenceModel;
import org.tfprune.export.SavedModelInspector;
import org.tfprune.export.ServingSignature;
import org.tfprune.imports.ImportCheck;
import org.tfprune.imports.ImportedModel;
import org.tfprune.imports.ModelImporter;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.LayerSpec;
import org.tfprune.spec.ResidualBlock;
import org.tfprune.train.CheckpointException;
import org.tfprune.train.CheckpointPolicy;
import org.tfprune.train.TrainerConfig;
import org.tfprune.train.TrainingData;
import org.tfprune.train.TrainingResult;

/**
 * The end-to-end job behind {@code tf-prune train} and {@code tf-prune prune}: train and prune
 * (from fresh weights or from an imported model's), train the dense baseline if asked, export the
 * verified compact SavedModel with the serving interface of the start, measure latency, and write
 * the report beside it.
 */
public final class PruneRun {
  /** Settings of one run that are not part of {@link TrainerConfig}. */
  public record Options(String model, String dataset, Path out, boolean overwrite,
      boolean baseline, int[] latencyBatches, long latencyBudgetMillis, boolean quiet,
      Path checkpointDir, int checkpointEvery, boolean resume, ExportSettings export) {

    /** Options without checkpoints, exported as trained. */
    public Options(String model, String dataset, Path out, boolean overwrite, boolean baseline,
        int[] latencyBatches, long latencyBudgetMillis, boolean quiet) {
      this(model, dataset, out, overwrite, baseline, latencyBatches, latencyBudgetMillis, quiet,
          null, 0, false, ExportSettings.DEFAULT);
    }
  }

  static final String PRUNE_CHECKPOINT = "prune.ckpt";
  static final String DENSE_CHECKPOINT = "dense.ckpt";

  /**
   * What a run starts from: fresh weights and tf-prune's own serving interface ({@link
   * #fresh()}), or an imported model's weights and interface, which the compact model keeps.
   *
   * @param parameters the starting weights and theta, or null for fresh ones
   * @param imported the import's report section, or null
   */
  public record Start(ParameterSet parameters, ServingSignature signature,
      RunReport.Import imported) {
    public static Start fresh() {
      return new Start(null, ServingSignature.DEFAULT, null);
    }

    /** Starts from {@code model}'s weights; the compact model keeps its interface. */
    public static Start imported(ImportedModel model) {
      ImportCheck c = model.check();
      return new Start(model.parameters(), model.signature(), new RunReport.Import(
          model.source(), model.signature().key(), c == null ? Double.NaN : c.maxAbsDiff(),
          ModelImporter.TOLERANCE, c == null ? 0 : c.examples(), model.notes()));
    }
  }

  private final PrintWriter out;

  public PruneRun(PrintWriter out) {
    this.out = out;
  }

  /** Runs the job from fresh weights; returns the report written beside the SavedModel. */
  public RunReport run(ArchitectureSpec spec, LabeledImages trainSet, LabeledImages testSet,
      TrainerConfig config, Options options) {
    return run(spec, Start.fresh(), trainSet, testSet, config, options);
  }

  /**
   * Runs the job from {@code start}; returns the report written beside the SavedModel. Without a
   * trained baseline, the dense reference in the report is the starting network (the imported
   * model), measured on the test set.
   *
   * @throws IllegalArgumentException (or {@link org.tfprune.export.ExportException}) for input
   *     refused before any work: an existing or unwritable output, a checkpoint location, data
   *     that does not fit {@code spec} or {@code config}
   * @throws RunFailedException when the job fails after it started (the training diverged, the
   *     export was refused, writing failed); nothing is written to the output
   */
  public RunReport run(ArchitectureSpec spec, Start start, LabeledImages trainSet,
      LabeledImages testSet, TrainerConfig config, Options options) {
    return run(spec, start, new ImagesTrainingData(trainSet), testSet, config, options);
  }

  /**
   * As {@link #run(ArchitectureSpec, Start, LabeledImages, LabeledImages, TrainerConfig,
   * Options)}, with training data of any kind (in memory or streamed from disk).
   */
  public RunReport run(ArchitectureSpec spec, Start start, TrainingData train,
      LabeledImages testSet, TrainerConfig config, Options options) {
    RunChecks.beforeRun(spec, train, testSet, config, options, out);
    Path ckpt = options.checkpointDir();
    FailedRunCleanup cleanup = FailedRunCleanup.before(options.out(), ckpt);
    try {
      return runChecked(spec, start, train, testSet, config, options);
    } catch (CheckpointException e) {
      if (!String.valueOf(e.getMessage()).startsWith("cannot write")) {
        throw e; // a saved state that does not fit this run: bad input, not a failed run
      }
      throw cleanup.failed(e);
    } catch (RuntimeException e) {
      throw cleanup.failed(e);
    }
  }

  /** Refuses an empty training or test set. */
  public static void checkNotEmpty(int trainCount, int testCount, String dataset) {
    RunChecks.checkNotEmpty(trainCount, testCount, dataset);
  }

  private RunReport runChecked(ArchitectureSpec spec, Start start, TrainingData train,
      LabeledImages testSet, TrainerConfig config, Options options) {
    Path ckpt = options.checkpointDir();
    if (ckpt != null) {
      config = config.toBuilder().checkpoint(new CheckpointPolicy(ckpt.resolve(PRUNE_CHECKPOINT),
          options.checkpointEvery(), true)).build();
    }
    ImagesTrainingData test = new ImagesTrainingData(testSet);
    out.printf("training %s (%s) on %s: %d training / %d test examples%n", spec.name(),
        spec.widthString(), options.dataset(), train.size(), test.size());
    long t0 = System.nanoTime();
    TrainingResult gated = TfPrune.train(spec, start.parameters()).withConfig(config)
        .withListener(new ConsoleProgress(out, "prune", options.quiet())).train(train, test);
    double gatedWall = (System.nanoTime() - t0) / 1e9;
    TrainingResult dense = null;
    double denseWall = 0;
    if (options.baseline()) {
      out.printf("training the dense baseline (same network and epochs, no gates)%n");
      TrainerConfig.Builder denseConfig = config.toBuilder().gated(false).finetuneEpochs(0);
      if (ckpt != null) {
        denseConfig.checkpoint(new CheckpointPolicy(ckpt.resolve(DENSE_CHECKPOINT),
            options.checkpointEvery(), true));
      }
      long t1 = System.nanoTime();
      dense = TfPrune.train(spec).withConfig(denseConfig.build())
          .withListener(new ConsoleProgress(out, "dense", options.quiet())).train(train, test);
      denseWall = (System.nanoTime() - t1) / 1e9;
    }
    int verifyCount = Math.min(1000, test.size());
    float[] sample = testSet.features(range(verifyCount));
    try (CompactExporter.VerifiedModel compact = CompactExporter.compact(gated.spec(),
        gated.parameters(), gated.keep(), sample, verifyCount, start.signature(),
        options.export());
        InferenceModel denseModel = InferenceModel.of(spec, dense != null ? dense.parameters()
            : start.parameters() != null ? start.parameters() : gated.parameters())) {
      double compactAccuracy = accuracy(compact.model(), testSet);
      Double denseAccuracy = dense != null ? Double.valueOf(dense.testAccuracy())
          : start.parameters() != null ? Double.valueOf(accuracy(denseModel, testSet)) : null;
      List<LatencyBenchmark.Row> latency = LatencyBenchmark.compare(denseModel, compact.model(),
          options.latencyBatches(), options.latencyBudgetMillis(), config.seed());
      Complexity dc = gated.denseComplexity();
      Complexity cc = ComplexityCounter.count(compact.model().spec());
      RunReport.Settings settings = new RunReport.Settings(options.model(), options.dataset(),
          spec.input().shape(),
          config.knobs().strength(), config.knobs().flopsShare(), config.knobs().layerShare(),
          config.epochs(), config.finetuneEpochs(), config.batchSize(),
          config.optimizer().kind().name().toLowerCase(), config.optimizer().learningRate(),
          config.resolvedThetaLearningRate(spec, train.size()), config.seed(), train.size(), test.size(),
          config.resolvedThetaOptimizer(spec).name().toLowerCase());
      RunReport draft = new RunReport(settings,
          network(spec, dc, denseAccuracy, dense == null ? null : dense.trainSeconds(),
              dense == null ? null : denseWall),
          network(compact.model().spec(), cc, compactAccuracy, gated.trainSeconds(),
              gatedWall),
          new RunReport.Gates(gated.binaryFraction(), gated.epochOf90PercentPruning(),
              gated.testAccuracy(), gated.keep().removed(), removedBlocks(spec, gated)),
          new RunReport.Export(options.out().toAbsolutePath().normalize().toString(),
              compact.maxAbsDiff(), compact.boundAtMaxDiff(), verifyCount, -1, -1, -1),
          cc.macsRatio(dc), cc.paramsRatio(dc), latency, gated.history(),
          dense == null ? List.of() : dense.history(), start.imported(),
          RunReport.BudgetResult.of(config.budget(), cc.macsRatio(dc), cc.paramsRatio(dc)));
      // Count the graph that will be written, then write model and report in one atomic move.
      SavedModelInspector inspected = SavedModelInspector.of(compact.model().graphDef());
      Complexity graphCount = inspected.complexity();
      long placed = inspected.placedNodes();
      RunReport report = new RunReport(draft.settings(), draft.dense(), draft.compact(),
          draft.gates(), new RunReport.Export(draft.export().path(), draft.export().maxAbsDiff(),
              draft.export().tolerance(), verifyCount, graphCount.macs(), graphCount.params(),
              placed), draft.macsRatio(), draft.paramsRatio(), latency, draft.history(),
          draft.baselineHistory(), draft.imported(), draft.budget());
      Map<String, byte[]> extra = new LinkedHashMap<>();
      extra.put("report.json", report.toJson());
      extra.put("report.txt", report.toTable().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      compact.model().save(options.out(), options.overwrite(), extra);
      if (ckpt != null) {
        deleteCheckpoints(ckpt);
      }
      out.print(report.toTable());
      out.flush();
      return report;
    }
  }

  /** Removes the job's checkpoint files, and the directory when nothing else is in it. */
  private static void deleteCheckpoints(Path dir) {
    try {
      Files.deleteIfExists(dir.resolve(PRUNE_CHECKPOINT));
      Files.deleteIfExists(dir.resolve(DENSE_CHECKPOINT));
      try (var rest = Files.list(dir)) {
        if (rest.findAny().isEmpty()) {
          Files.delete(dir);
        }
      }
    } catch (java.io.IOException e) {
      // the model and report are written; a leftover checkpoint only costs disk space
    }
  }

  private static RunReport.Network network(ArchitectureSpec spec, Complexity c, Double acc,
      Double seconds, Double wallSeconds) {
    Map<String, Integer> widths = new LinkedHashMap<>();
    widths.put("input", spec.input().width());
    for (LayerSpec l : spec.layers()) {
      if (l instanceof ResidualBlock r) {
        widths.put(r.name(), r.innerWidth()); // the block's inner filters; absent when removed
        if (r.middle() != null) {
          widths.put(r.middle().name(), r.middle().filters());
        }
      } else if (l.width() > 0) {
        widths.put(l.name(), l.width());
      }
    }
    return new RunReport.Network(spec.widthString(), widths, c.macs(), c.params(), acc, seconds,
        wallSeconds, spec.streamWidths());
  }

  /** Names of the residual blocks whose gate closed. */
  private static List<String> removedBlocks(ArchitectureSpec spec, TrainingResult r) {
    List<String> removed = new java.util.ArrayList<>();
    for (LayerSpec l : spec.layers()) {
      if (l instanceof ResidualBlock b && b.gated() && !r.keep().flags(b.name())[0]) {
        removed.add(b.name());
      }
    }
    return removed;
  }

  /** Test accuracy of a served model, in batches of 1000. */
  static double accuracy(InferenceModel model, LabeledImages data) {
    int n = data.count();
    int correct = 0;
    int nc = data.numClasses();
    for (int start = 0; start < n; start += 1000) {
      int len = Math.min(1000, n - start);
      int[] idx = new int[len];
      for (int i = 0; i < len; i++) {
        idx[i] = start + i;
      }
      correct += correct(model.predict(data.features(idx), len), data.labels(idx), nc);
    }
    return (double) correct / n;
  }

  /** How many rows of {@code logits} ({@code labels.length x classes}) pick their label. */
  static int correct(HostTensor logits, int[] labels, int classes) {
    int correct = 0;
    for (int i = 0; i < labels.length; i++) {
      int best = 0;
      for (int k = 1; k < classes; k++) {
        if (logits.get(i * classes + k) > logits.get(i * classes + best)) {
          best = k;
        }
      }
      correct += best == labels[i] ? 1 : 0;
    }
    return correct;
  }

  static int[] range(int n) {
    int[] r = new int[n];
    for (int i = 0; i < n; i++) {
      r[i] = i;
    }
    return r;
  }
}
