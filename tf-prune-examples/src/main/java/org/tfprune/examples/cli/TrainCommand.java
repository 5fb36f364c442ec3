package org.tfprune.examples.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.tfprune.examples.data.Datasets;
import org.tfprune.examples.data.LabeledImages;
import org.tfprune.loss.PruningKnobs;
import org.tfprune.models.Models;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.train.OptimizerSpec;
import org.tfprune.train.TrainerConfig;
import picocli.CommandLine.Command;
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

  @Option(names = "--dataset", defaultValue = "mnist",
      description = "mnist, fashion-mnist or cifar10. Default: ${DEFAULT-VALUE}.")
  String dataset;

  @Option(names = "--data-dir", description = "Directory holding the data set's files "
      + "(default: .cache/mnist for MNIST, /usr/share/datasets/fashion-mnist for Fashion-MNIST).")
  Path dataDir;

  @Option(names = "--strength", defaultValue = "1.0",
      description = "Pruning strength >= 0: 0 keeps the network dense, 1 is the calibrated "
          + "default, larger prunes harder. Default: ${DEFAULT-VALUE}.")
  double strength;

  @Option(names = "--flops-share", defaultValue = "0.5",
      description = "In [0,1]: MACs (1) versus parameters (0) in the complexity cost. Default: "
          + "${DEFAULT-VALUE}.")
  double flopsShare;

  @Option(names = "--layer-share", defaultValue = "0.5",
      description = "In [0,1]: complexity pressure on block gates (1) versus unit/filter gates "
          + "(0). Default: ${DEFAULT-VALUE}.")
  double layerShare;

  @Option(names = "--epochs", defaultValue = "60", description = "Default: ${DEFAULT-VALUE}.")
  int epochs;

  @Option(names = "--finetune-epochs", defaultValue = "-1",
      description = "Last epochs trained with deterministic gates (weights only). Default: a "
          + "quarter of the epochs.")
  int finetuneEpochs;

  @Option(names = "--finetune-lr", defaultValue = "0",
      description = "Weight learning rate at the start of fine-tuning, decayed again to "
          + "--final-lr (0 = continue the main schedule). Default: ${DEFAULT-VALUE}.")
  double finetuneLr;

  @Option(names = "--batch-size", defaultValue = "128", description = "Default: ${DEFAULT-VALUE}.")
  int batchSize;

  @Option(names = "--lr", defaultValue = "1e-3",
      description = "Weight learning rate (cosine-decayed to --final-lr). Default: "
          + "${DEFAULT-VALUE}.")
  double lr;

  @Option(names = "--final-lr", defaultValue = "1e-5", description = "Default: ${DEFAULT-VALUE}.")
  double finalLr;

  @Option(names = "--optimizer", defaultValue = "adam",
      description = "adam or momentum. Default: ${DEFAULT-VALUE}.")
  String optimizer;

  @Option(names = "--theta-optimizer", defaultValue = "sgd",
      description = "sgd (projected SGD, calibrated for LeNet-300-100) or adam (then projected; "
          + "steadier for conv nets). Default: ${DEFAULT-VALUE}.")
  String thetaOptimizer;

  @Option(names = "--theta-lr",
      description = "Step size of the theta update. Default: 1.0 for sgd, 0.01 for adam.")
  Double thetaLr;

  @Option(names = "--width-multiplier", defaultValue = "1.0",
      description = "Scales the model's prunable widths. Default: ${DEFAULT-VALUE}.")
  double widthMultiplier;

  @Option(names = "--seed", defaultValue = "1", description = "Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--out", description = "Output directory of the SavedModel and report "
      + "(default: saved-models/<model>-<dataset>).")
  Path out;

  @Option(names = "--overwrite", description = "Replace an existing output directory.")
  boolean overwrite;

  @Option(names = "--no-baseline", negatable = true, defaultValue = "true",
      description = "Train the dense baseline too (default) or not.")
  boolean baseline;

  @Option(names = "--train-limit", defaultValue = "0",
      description = "Use only the first N training examples (0 = all), for quick runs.")
  int trainLimit;

  @Option(names = "--test-limit", defaultValue = "0",
      description = "Use only the first N test examples (0 = all).")
  int testLimit;

  @Option(names = "--threads", defaultValue = "0",
      description = "TensorFlow threads (0 = TensorFlow's default).")
  int threads;

  @Option(names = "--quiet", description = "Only epoch lines, no step lines.")
  boolean quiet;

  @Option(names = "--rebuild-threshold", defaultValue = "0.1",
      description = "Rebuild the training graph without its frozen structures once they hold "
          + "this fraction of its MACs, so later steps cost less (0 = never; masks only). "
          + "Default: ${DEFAULT-VALUE}.")
  double rebuildThreshold;

  @Option(names = "--checkpoint-dir", description = "Where the training state is saved while "
      + "the job runs (default: <out>.checkpoint); removed when the job completes.")
  Path checkpointDir;

  @Option(names = "--checkpoint-every", defaultValue = "0",
      description = "Steps between two checkpoints (0 = at the end of every epoch). Default: "
          + "${DEFAULT-VALUE}.")
  int checkpointEvery;

  @Option(names = "--no-checkpoint", negatable = true, defaultValue = "true",
      description = "Save checkpoints (default) or not.")
  boolean checkpoint;

  @Option(names = "--resume", description = "Continue the job saved in the checkpoint "
      + "directory (run the same command line with --resume added).")
  boolean resume;

  @Override
  public Integer call() {
    PruningKnobs knobs = new PruningKnobs(strength, flopsShare, layerShare);
    int finetune = finetuneEpochs >= 0 ? finetuneEpochs : epochs / 4;
    OptimizerSpec opt = switch (optimizer.toLowerCase()) {
      case "adam" -> OptimizerSpec.adam(lr, finalLr);
      case "momentum", "sgd" -> OptimizerSpec.momentum(lr, finalLr, 0.9);
      default -> throw new IllegalArgumentException("unknown optimizer '" + optimizer
          + "': use adam or momentum");
    };
    TrainerConfig.ThetaOptimizer thetaOpt = switch (thetaOptimizer.toLowerCase()) {
      case "sgd" -> TrainerConfig.ThetaOptimizer.SGD;
      case "adam" -> TrainerConfig.ThetaOptimizer.ADAM;
      default -> throw new IllegalArgumentException("unknown theta optimizer '" + thetaOptimizer
          + "': use sgd or adam");
    };
    TrainerConfig config = TrainerConfig.builder().knobs(knobs).epochs(epochs)
        .finetuneEpochs(finetune).finetuneLearningRate(finetuneLr).batchSize(batchSize).optimizer(opt).thetaOptimizer(thetaOpt)
        .thetaLearningRate(thetaLr != null ? thetaLr
            : thetaOpt == TrainerConfig.ThetaOptimizer.ADAM ? 0.01 : 1.0)
        .seed(seed).threads(threads).rebuildThreshold(rebuildThreshold).build();
    Path target = out != null ? out : Path.of("saved-models", model + "-" + dataset);
    Path checkpoints = !checkpoint ? null : checkpointDir != null ? checkpointDir
        : target.resolveSibling(target.getFileName() + ".checkpoint");
    if (resume && checkpoints == null) {
      throw new IllegalArgumentException("--resume needs checkpoints: drop --no-checkpoint");
    }
    Datasets.Split split = dataDir != null ? Datasets.load(dataset, dataDir)
        : Datasets.load(dataset);
    LabeledImages train = trainLimit > 0 ? split.train().head(trainLimit) : split.train();
    LabeledImages test = testLimit > 0 ? split.test().head(testLimit) : split.test();
    ArchitectureSpec spec = Models.create(model, train.featureShape(), train.numClasses(),
        widthMultiplier);
    new PruneRun(commandSpec.commandLine().getOut()).run(spec, train, test, config, new PruneRun.Options(model, dataset,
        target, overwrite, baseline, new int[] {1, 32, 256}, 1500, quiet, checkpoints,
        checkpointEvery, resume));
    return 0;
  }

  /** Model names for the help text. */
  static final class ModelNames extends java.util.ArrayList<String> {
    ModelNames() {
      super(Models.NAMES);
    }
  }
}
