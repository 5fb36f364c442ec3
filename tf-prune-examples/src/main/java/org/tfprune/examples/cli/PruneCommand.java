package org.tfprune.examples.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.tfprune.data.InputScale;
import org.tfprune.examples.data.Datasets;
import org.tfprune.examples.prune.ModelPruner;
import org.tfprune.export.ByteRescaling;
import org.tfprune.export.InferenceModel;
import org.tfprune.export.ServingContract;
import org.tfprune.imports.ImportOptions;
import org.tfprune.imports.ModelImporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tf-prune prune}: wrap an existing model, prune-train it, export it with its interface. */
@Command(name = "prune", mixinStandardHelpOptions = true,
    description = "Import a SavedModel written by TF-Java (or a frozen GraphDef), insert gates, "
        + "prune-train it from its trained weights and export the compact SavedModel with the "
        + "same signature, input and output names, with report.json beside it. Exits non-zero "
        + "on any failure, and then writes nothing.")
final class PruneCommand implements Callable<Integer> {
  @Spec
  CommandSpec commandSpec;

  @Option(names = "--saved-model", required = true, paramLabel = "IN",
      description = "The model: a SavedModel directory or a frozen GraphDef (.pb) file.")
  Path savedModel;

  @Option(names = "--tag", defaultValue = "serve",
      description = "Tags of the meta graph to read, comma-separated. Default: ${DEFAULT-VALUE}.")
  String tag;

  @Option(names = "--signature", description = "Signature key (default: serving_default, or "
      + "the model's only signature).")
  String signature;

  @Option(names = "--out", required = true, paramLabel = "OUT",
      description = "Output directory of the compact SavedModel and its report.")
  Path out;

  @Mixin
  DataOptions data;

  @Mixin
  KnobOptions knobs;

  @Mixin
  TrainingOptions training;

  @Mixin
  RunOptions run;

  @Mixin
  CheckpointOptions checkpoints;

  @Mixin
  StreamOptions streams;

  @Option(names = "--feed", paramLabel = "NAME=VALUE", description = "Value of a training-only "
      + "placeholder the outputs read (repeatable), e.g. --feed keep_prob=1 for a dropout keep "
      + "probability; a PlaceholderWithDefault gets its default.")
  java.util.List<String> feeds;

  @Override
  public Integer call() {
    var config = training.config(knobs);
    OptionChecks.dataLimits(data);
    InferenceModel.checkTarget(out, run.overwrite); // before reading the data and the model
    ImportOptions imports = new ImportOptions(tag, signature, config.thetaInit(),
        streams.coupleStreamChannels).withFeeds(FeedOptions.parse(feeds));
    ModelPruner pruner = new ModelPruner(config, ModelPruner.Options.DEFAULT.withImports(imports)
        .withOverwrite(run.overwrite).withQuiet(run.quiet).withExport(run.export(knobs.targetMacs != null))
        .withLatency(new int[] {1, 32, 256}, run.latencyBudgetMillis())
        .withCheckpoints(new ModelPruner.Checkpoints(checkpoints.dirFor(out),
            checkpoints.everySteps, checkpoints.resume)), commandSpec.commandLine().getOut());
    useTheModelsOwnScaling(imports);
    try (DataOptions.Loaded loaded = data.load(config)) {
      pruner.prune(savedModel, loaded.name(), loaded.train(), loaded.test(), out);
      loaded.streamReport().ifPresent(r -> commandSpec.commandLine().getOut()
          .printf("streamed training data: %s%n", r));
    }
    return 0;
  }

  /**
   * With {@code --input-scale auto}, a model that scales raw pixels itself (a kept {@code
   * Rescaling(1./255)} before its network) is given the pixels as stored, 0 to 255, instead of
   * pixels scaled a second time.
   */
  private void useTheModelsOwnScaling(ImportOptions imports) {
    if (!InputScale.parse(data.inputScale).auto()) {
      return;
    }
    ServingContract contract = ModelImporter.load(savedModel, imports).signature().contract();
    if (contract == null) {
      return;
    }
    ByteRescaling.find(contract).ifPresent(d -> {
      data.inputScale = "1";
      commandSpec.commandLine().getOut().printf("note: the model scales raw pixels itself (%s "
          + "before its network): the data is fed as stored, 0 to 255 (--input-scale 1); pass "
          + "--input-scale to choose otherwise%n", d);
    });
  }
}
