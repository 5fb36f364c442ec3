package org.tfprune.examples.prune;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
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
import org.tfprune.imports.ModelImporter;
import org.tfprune.train.TrainerConfig;
import org.tfprune.train.TrainingData;

/**
 * Prunes an existing model in one call, for deployment pipelines: imports a TF-Java SavedModel
 * (or a frozen GraphDef), checks that the imported network with every gate open reproduces the
 * original on real test examples (refusing it otherwise), prune-trains it from its trained
 * weights, and exports the compact SavedModel with the original's signature key, input and output
 * keys and tensor names, {@code report.json} and {@code report.txt} beside it. Nothing is written
 * unless every step succeeds.
 *
 * <pre>{@code
 * RunReport r = ModelPruner.prune(Path.of("their-model"), "mnist",
 *     TrainerConfig.builder().epochs(20).build(), Path.of("their-model-pruned"));
 * }</pre>
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

  /** Examples of the test set on which the import is checked against the original. */
  static final int CHECK_EXAMPLES = 1000;

  private final TrainerConfig config;
  private final Options options;
  private final PrintWriter log;

  public ModelPruner(TrainerConfig config, Options options, PrintWriter log) {
    this.config = checkNotNull(config, "trainer config");
    this.options = checkNotNull(options, "options");
    this.log = checkNotNull(log, "log");
  }

  /**
   * Prunes the model at {@code in} on the data set {@code dataset} (read from its default
   * directory) with default options and writes the result to {@code out}.
   */
  public static RunReport prune(Path in, String dataset, TrainerConfig config, Path out) {
    return new ModelPruner(config, Options.DEFAULT, new PrintWriter(System.out, true))
        .prune(in, dataset, Datasets.load(dataset), out);
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
    int count = Math.min(CHECK_EXAMPLES, test.count());
    checkArgument(count > 0, "the test set is empty");
    int[] first = new int[count];
    Arrays.setAll(first, i -> i);
    log.printf("importing %s%n", in);
    log.flush();
    ImportedModel model = ModelImporter.load(in, options.imports(), test.features(first), count);
    if (model.spec().numClasses() != train.numClasses()) {
      throw new ImportException(in + " has " + model.spec().numClasses() + " outputs but "
          + dataset + " has " + train.numClasses() + " classes: prune it on the data set "
          + "it was trained for");
    }
    log.printf("imported %s as %s (%s), signature '%s'; gates open, it reproduces the original "
        + "within %.2g over %d test examples%n", in, model.spec().name(),
        model.spec().widthString(), model.signature().key(), model.check().maxAbsDiff(), count);
    model.notes().forEach(n -> log.printf("  note: %s%n", n));
    return new PruneRun(log).run(model.spec(), PruneRun.Start.imported(model), train,
        test, config, new PruneRun.Options(model.spec().name(), dataset, out,
            options.overwrite(), false, options.latencyBatches(), options.latencyBudgetMillis(),
            options.quiet(), options.checkpoints().dir(), options.checkpoints().everySteps(),
            options.checkpoints().resume(), options.export()));
  }
}
