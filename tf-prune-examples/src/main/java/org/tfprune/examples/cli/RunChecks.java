package org.tfprune.examples.cli;

import static org.tfprune.examples.cli.PruneRun.DENSE_CHECKPOINT;
import static org.tfprune.examples.cli.PruneRun.PRUNE_CHECKPOINT;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.tfprune.examples.data.LabeledImages;
import org.tfprune.export.InferenceModel;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.train.TrainerConfig;
import org.tfprune.train.TrainingData;

/** The checks a {@link PruneRun} makes before any work: output, data, checkpoint location. */
final class RunChecks {
  private RunChecks() {}

  /**
   * Refuses, before any work, an existing or unwritable output, data that cannot train {@code
   * spec} and an unusable checkpoint location; says on {@code out} when {@code --resume} finds
   * no checkpoint to resume.
   */
  static void beforeRun(ArchitectureSpec spec, TrainingData train, LabeledImages testSet,
      TrainerConfig config, PruneRun.Options options, PrintWriter out) {
    InferenceModel.checkTarget(options.out(), options.overwrite());
    checkData(spec, train, testSet, config, options.dataset());
    if (config.gated()) {
      config.budget().checkFeasible(spec); // a target below one unit per layer
    }
    Path ckpt = options.checkpointDir();
    if (ckpt != null) {
      checkCheckpointLocation(ckpt);
      boolean saved = Files.exists(ckpt.resolve(PRUNE_CHECKPOINT))
          || Files.exists(ckpt.resolve(DENSE_CHECKPOINT));
      if (saved && !options.resume()) {
        throw new IllegalArgumentException("checkpoint directory " + ckpt + " holds a saved run: "
            + "continue it with --resume (same command line), or delete the directory to start "
            + "over");
      }
      if (!saved && options.resume()) {
        out.printf("no checkpoint in %s: starting a new run%n", ckpt);
      }
    }
  }

  /**
   * Refuses, before any work, data that cannot train {@code spec}: an empty set, another number
   * of values per example or of classes, fewer examples than one batch.
   */
  static void checkData(ArchitectureSpec spec, TrainingData train, LabeledImages test,
      TrainerConfig config, String dataset) {
    checkNotEmpty(train.size(), test.count(), dataset);
    if (train.featureSize() != spec.input().size()) {
      throw new IllegalArgumentException("the " + dataset + " images are of shape "
          + java.util.Arrays.toString(test.featureShape()) + " (" + train.featureSize()
          + " values) but network " + spec.name() + " reads inputs of shape "
          + spec.input().shape() + " (" + spec.input().size() + " values): use the data set "
          + "the model was made for");
    }
    if (train.numClasses() != spec.numClasses()) {
      throw new IllegalArgumentException(dataset + " has " + train.numClasses() + " classes but "
          + "network " + spec.name() + " has " + spec.numClasses() + " outputs: use the data "
          + "set the model was made for");
    }
    if (train.size() < config.batchSize()) {
      throw new IllegalArgumentException("the training set has " + train.size() + " examples, "
          + "fewer than one batch of " + config.batchSize() + ": lower --batch-size (or raise "
          + "--train-limit)");
    }
  }

  /** Refuses an empty training or test set. */
  static void checkNotEmpty(int trainCount, int testCount, String dataset) {
    if (trainCount == 0 || testCount == 0) {
      throw new IllegalArgumentException("the " + dataset + " " + (trainCount == 0
          ? "training" : "test") + " set is empty: check the data files and --train-limit / "
          + "--test-limit");
    }
  }

  /** Refuses a checkpoint location that is a file or lies in a directory that is not writable. */
  private static void checkCheckpointLocation(Path ckpt) {
    Path abs = ckpt.toAbsolutePath().normalize();
    if (Files.exists(abs) && !Files.isDirectory(abs)) {
      throw new IllegalArgumentException("checkpoint directory " + abs + " is a file: choose "
          + "another --checkpoint-dir, or pass --no-checkpoint");
    }
    Path existing = abs;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null || !Files.isDirectory(existing) || !Files.isWritable(existing)) {
      throw new IllegalArgumentException("checkpoint directory " + abs + " cannot be written ("
          + existing + " is not a writable directory): choose a writable --checkpoint-dir, or "
          + "pass --no-checkpoint");
    }
  }
}
