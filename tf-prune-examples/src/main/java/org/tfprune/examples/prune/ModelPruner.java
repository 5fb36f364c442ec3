package org.tfprune.examples.prune;

import static com.google.common.base.Preconditions.checkNotNull;

import java.io.PrintWriter;
import java.nio.file.Path;
import org.tfprune.api.TfPrune;
import org.tfprune.data.ExampleShapes;
import org.tfprune.export.FixedPrefix;
import org.tfprune.examples.cli.PruneRun;
import org.tfprune.examples.data.Datasets;
import org.tfprune.examples.data.ImagesTrainingData;
import org.tfprune.examples.data.LabeledImages;
import org.tfprune.examples.report.RunReport;
import org.tfprune.export.InferenceModel;
import org.tfprune.export.ExportSettings;
import org.tfprune.imports.ImportException;
import org.tfprune.imports.ImportOptions;
import org.tfprune.imports.ImportedModel;
import org.tfprune.train.TrainerConfig;
import org.tfprune.train.TrainingData;

/**
 * The job behind {@code tf-prune prune}: wraps a model with the library's API ({@link TfPrune},
 * which imports it and checks it against the original on real test examples), then runs the
 * CLI's prune job on it (training, export with the original's signature, latency, and
 * {@code report.json} and {@code report.txt} beside the model). Nothing is written unless every
 * step succeeds.
 */
public final class ModelPruner {
  /**
   * Settings besides the trainer's: how to read the model, whether an existing output may be
   * replaced, step lines or only epoch lines, and the latency benchmark's batch sizes and time
   * budget.
   */
  public record Options(ImportOptions imports, boolean overwrite, boolean quiet,
      int[] latencyBatches, long latencyBudgetMillis, ExportSettings export,
      Checkpoints checkpoints) {
    public static final Options DEFAULT = new Options(ImportOptions.DEFAULT, false, true,
        new int[] {1, 32, 256}, 1500, ExportSettings.DEFAULT, Checkpoints.NONE);

    public Options {
      checkNotNull(imports, "import options");
      latencyBatches = latencyBatches.clone();
    }

    @Override
    public int[] latencyBatches() {
      return latencyBatches.clone();
    }

    public Options withImports(ImportOptions i) {
      return new Options(i, overwrite, quiet, latencyBatches, latencyBudgetMillis, export,
          checkpoints);
    }

    public Options withOverwrite(boolean o) {
      return new Options(imports, o, quiet, latencyBatches, latencyBudgetMillis, export,
          checkpoints);
    }

    public Options withQuiet(boolean q) {
      return new Options(imports, overwrite, q, latencyBatches, latencyBudgetMillis, export,
          checkpoints);
    }

    public Options withLatency(int[] batches, long budgetMillis) {
      return new Options(imports, overwrite, quiet, batches, budgetMillis, export,
          checkpoints);
    }

    /** How the compact model is exported (width rounding, batch-norm folding). */
    public Options withExport(ExportSettings e) {
      return new Options(imports, overwrite, quiet, latencyBatches, latencyBudgetMillis, e,
          checkpoints);
    }

    /** Where the training state is saved while the job runs, and whether to resume it. */
    public Options withCheckpoints(Checkpoints c) {
      return new Options(imports, overwrite, quiet, latencyBatches, latencyBudgetMillis, export,
          c);
    }
  }

  /**
   * Checkpoints of a prune job: the directory (null: none), steps between saves (0: every epoch)
   * and whether a saved job is continued.
   */
  public record Checkpoints(Path dir, int everySteps, boolean resume) {
    public static final Checkpoints NONE = new Checkpoints(null, 0, false);
  }

  private final TrainerConfig config;
  private final Options options;
  private final PrintWriter log;

  public ModelPruner(TrainerConfig config, Options options, PrintWriter log) {
    this.config = checkNotNull(config, "trainer config");
    this.options = checkNotNull(options, "options");
    this.log = checkNotNull(log, "log");
  }

  /**
   * Prunes the model at {@code in} on {@code data} (named {@code dataset} in the report) and
   * writes the compact SavedModel and its report to {@code out}.
   *
   * @throws ImportException when the model cannot be read, mapped or reproduced
   */
  public RunReport prune(Path in, String dataset, Datasets.Split data, Path out) {
    checkNotNull(data, "data");
    return prune(in, dataset, new ImagesTrainingData(data.train()), data.test(), out);
  }

  /**
   * As {@link #prune(Path, String, Datasets.Split, Path)}, with training data of any kind (in
   * memory or streamed from disk) and the test set in memory.
   */
  public RunReport prune(Path in, String dataset, TrainingData train, LabeledImages test,
      Path out) {
    checkNotNull(in, "input model");
    checkNotNull(train, "train");
    checkNotNull(test, "test");
    InferenceModel.checkTarget(out, options.overwrite()); // fail before any work
    PruneRun.checkNotEmpty(train.size(), test.count(), dataset);
    // data of another shape than the model's input is refused naming both, before the import
    java.util.Optional<long[]> declared = ModelInputShape.read(in, options.imports());
    declared.ifPresent(shape -> ExampleShapes.checkFeeds(test.name(), test.featureShape(),
        shape));
    log.printf("importing %s%n", in);
    log.flush();
    if (declared.isEmpty()) {
      checkShape(in, dataset, test); // a frozen GraphDef declares no signature shape
    }
    ImportedModel model = TfPrune.wrap(in, options.imports())
        .load(new ImagesTrainingData(test)).imported();
    log.printf("imported %s as %s (%s), signature '%s'; gates open, it reproduces the original "
        + "within %.2g over %d test examples%n", in, model.spec().name(),
        model.spec().widthString(), model.signature().key(), model.check().maxAbsDiff(),
        model.check().examples());
    model.notes().forEach(n -> log.printf("  note: %s%n", n));
    int[] modelShape = modelInputShape(model);
    if (!java.util.Arrays.equals(modelShape, test.featureShape())
        && test.featureSize() == model.spec().input().size()) {
      log.printf("  note: data %s fed as the model's %s%n", java.util.Arrays.toString(
          test.featureShape()), java.util.Arrays.toString(modelShape));
    }
    java.util.Optional<FixedPrefix> prefix = FixedPrefix.of(model.signature());
    if (prefix.isPresent()) {
      if (prefix.get().inputSize() != test.featureSize()) {
        prefix.get().close();
        throw new IllegalArgumentException("the " + dataset + " images are of shape "
            + java.util.Arrays.toString(test.featureShape()) + " but " + in + " takes inputs of "
            + "shape " + java.util.Arrays.toString(prefix.get().inputShape()) + ": use the data "
            + "set the model was made for");
      }
      log.printf("  note: training and test data go through the kept prefix before the network "
          + "(%s)%n", model.signature().contract().networkInput());
      try (FixedPrefix p = prefix.get()) {
        int[] netShape = model.spec().input().shape().stream().mapToInt(Integer::intValue)
            .toArray();
        LabeledImages prefixedTest = PrefixedData.test(test, p, netShape);
        return run(model, PrefixedData.train(train, p), prefixedTest, dataset, out);
      }
    }
    return run(model, train, test, dataset, out);
  }

  /**
   * Refuses, naming both shapes, data whose examples hold another number of values than the
   * model's input; data of the same size in another shape is fed in the model's shape.
   */
  private void checkShape(Path in, String dataset, LabeledImages test) {
    ImportedModel mapped = org.tfprune.imports.ModelImporter.load(in, options.imports());
    int[] shape = modelInputShape(mapped);
    long size = 1;
    for (int d : shape) {
      size *= d;
    }
    if (size != test.featureSize()) {
      throw new IllegalArgumentException("the " + dataset + " images are of shape "
          + java.util.Arrays.toString(test.featureShape()) + " (" + test.featureSize()
          + " values) but " + in + " takes inputs of shape " + java.util.Arrays.toString(shape)
          + " (" + size + " values): use the data set the model was trained on");
    }
  }

  /** The shape of one example as the model's signature input takes it. */
  private static int[] modelInputShape(ImportedModel model) {
    return FixedPrefix.of(model.signature()).map(p -> {
      try (p) {
        long[] s = p.inputShape();
        return java.util.Arrays.stream(s, 1, s.length).mapToInt(d -> (int) d).toArray();
      }
    }).orElse(model.spec().input().shape().stream().mapToInt(Integer::intValue).toArray());
  }

  private RunReport run(ImportedModel model, TrainingData train, LabeledImages test,
      String dataset, Path out) {
    return new PruneRun(log).run(model.spec(), PruneRun.Start.imported(model), train,
        test, config, new PruneRun.Options(model.spec().name(), dataset, out,
            options.overwrite(), false, options.latencyBatches(), options.latencyBudgetMillis(),
            options.quiet(), options.checkpoints().dir(), options.checkpoints().everySteps(),
            options.checkpoints().resume(), options.export()));
  }
}
