package org.tfprune.examples.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.tfprune.export.InferenceModel;
import org.tfprune.models.Models;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.train.TrainerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tf-prune train}: the end-to-end job. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Train and prune a reference model on a data set, train its dense baseline, "
        + "export the compact SavedModel with report.json beside it.")
final class TrainCommand implements Callable<Integer> {
  @Spec
  CommandSpec commandSpec;

  @Option(names = "--model", defaultValue = "lenet-300-100",
      description = "Architecture: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.",
      completionCandidates = ModelNames.class)
  String model;

  @Mixin
  DataOptions data;

  @Mixin
  KnobOptions knobs;

  @Mixin
  TrainingOptions training;

  @Option(names = "--width-multiplier", defaultValue = "1.0",
      description = "Scales the model's prunable widths. Default: ${DEFAULT-VALUE}.")
  double widthMultiplier;

  @Mixin
  StreamOptions streams;

  @Option(names = "--out", description = "Output directory of the SavedModel and report "
      + "(default: saved-models/<model>-<dataset>).")
  Path out;

  @Mixin
  RunOptions run;

  @Mixin
  CheckpointOptions checkpoints;

  @Option(names = "--no-baseline", negatable = true, defaultValue = "true",
      description = "Train the dense baseline too (default) or not.")
  boolean baseline;

  @Override
  public Integer call() {
    TrainerConfig config = training.config(knobs);
    OptionChecks.dataLimits(data);
    Path target = out != null ? out : Path.of("saved-models", model + "-" + data.name());
    InferenceModel.checkTarget(target, run.overwrite); // before reading any data
    try (DataOptions.Loaded loaded = data.load(config)) {
      ArchitectureSpec spec;
      try {
        spec = Models.create(model, loaded.featureShape(), loaded.numClasses(), widthMultiplier,
            streams.coupleStreamChannels);
      } catch (IllegalArgumentException e) {
        throw OptionChecks.named(e, "width multiplier", "--width-multiplier");
      }
      new PruneRun(commandSpec.commandLine().getOut()).run(spec, PruneRun.Start.fresh(),
          loaded.train(), loaded.test(), config,
          new PruneRun.Options(model, loaded.name(), target, run.overwrite, baseline,
              new int[] {1, 32, 256}, run.latencyBudgetMillis(), run.quiet, checkpoints.dirFor(target),
              checkpoints.everySteps, checkpoints.resume, run.export(knobs.targetMacs != null)));
      loaded.streamReport().ifPresent(r -> commandSpec.commandLine().getOut()
          .printf("streamed training data: %s%n", r));
    }
    return 0;
  }

  /** Model names for the help text. */
  static final class ModelNames extends java.util.ArrayList<String> {
    ModelNames() {
      super(Models.NAMES);
    }
  }
}
