package org.tfprune.examples.cli;

import org.tfprune.loss.PruningKnobs;
import org.tfprune.train.OptimizerSpec;
import org.tfprune.train.TrainerConfig;
import picocli.CommandLine.Option;

/** How to train: epochs, batches, optimizers and their learning rates, seed, threads. */
final class TrainingOptions {
  @Option(names = "--epochs", defaultValue = "60", description = "Default: ${DEFAULT-VALUE}.")
  int epochs;

  @Option(names = "--finetune-epochs", defaultValue = "-1",
      description = "Last epochs trained with deterministic gates (weights only). Default: a "
          + "quarter of the epochs.")
  int finetuneEpochs;

  @Option(names = "--warmup-epochs", defaultValue = "0",
      description = "First epochs that train the weights with every gate open before theta "
          + "learns (conv nets: 1 keeps early layers from collapsing before they learn). "
          + "Default: ${DEFAULT-VALUE}.")
  int warmupEpochs;

  @Option(names = "--batch-norm-statistics", defaultValue = "batch",
      description = "What batch norm normalizes by while a gated network trains: batch (the "
          + "batch's statistics throughout) or frozen-after-warmup (the batch's in the warm-up "
          + "epochs, then the moving statistics, held fixed: the steps train the served "
          + "network). Default: ${DEFAULT-VALUE}.")
  String batchNormStatistics;

  @Option(names = "--finetune-lr",
      description = "Weight learning rate at the start of fine-tuning, decayed again to "
          + "--final-lr (0 = continue the main schedule). Default: --lr (the rate is rewound "
          + "once the structure is fixed).")
  Double finetuneLr;

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

  @Option(names = "--theta-optimizer", defaultValue = "auto",
      description = "auto (chosen from the network: sgd for dense layers whose cost per "
          + "structure is even, as in an MLP; adam for conv nets and where the cost varies "
          + "widely), sgd (projected SGD) or adam (then projected). Default: ${DEFAULT-VALUE}.")
  String thetaOptimizer;

  @Option(names = "--theta-lr",
      description = "Step size of the theta update. Default: 0.01 for adam; for sgd 1.0 scaled "
          + "down as the calibrated pressure grows with depth.")
  Double thetaLr;

  @Option(names = "--seed", defaultValue = "1", description = "Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--threads", defaultValue = "0",
      description = "TensorFlow threads (0 = TensorFlow's default).")
  int threads;

  @Option(names = "--rebuild-threshold", defaultValue = "0.25",
      description = "Rebuild the training graph without its frozen structures once they hold "
          + "this fraction of its MACs, so later steps cost less (0 = never; masks only). "
          + "Default: ${DEFAULT-VALUE}.")
  double rebuildThreshold;

  /** The trainer's configuration with these settings, {@code knobs} and {@code budget}. */
  TrainerConfig config(KnobOptions knobs) {
    return config(knobs.knobs()).toBuilder().budget(knobs.budget()).build();
  }

  /** The trainer's configuration with these settings and {@code knobs}. */
  TrainerConfig config(PruningKnobs knobs) {
    int finetune = finetuneEpochs >= 0 ? finetuneEpochs : epochs / 4;
    OptimizerSpec opt;
    try {
      opt = switch (optimizer.toLowerCase()) {
        case "adam" -> OptimizerSpec.adam(lr, finalLr);
        case "momentum", "sgd" -> OptimizerSpec.momentum(lr, finalLr, 0.9);
        default -> throw new IllegalArgumentException("unknown optimizer '" + optimizer
            + "': use adam or momentum");
      };
    } catch (IllegalArgumentException e) {
      throw OptionChecks.named(e, "weight learning rate", "--lr", "final learning rate",
          "--final-lr");
    }
    TrainerConfig.ThetaOptimizer thetaOpt = switch (thetaOptimizer.toLowerCase()) {
      case "auto" -> TrainerConfig.ThetaOptimizer.AUTO;
      case "sgd" -> TrainerConfig.ThetaOptimizer.SGD;
      case "adam" -> TrainerConfig.ThetaOptimizer.ADAM;
      default -> throw new IllegalArgumentException("unknown theta optimizer '" + thetaOptimizer
          + "': use auto, sgd or adam");
    };
    TrainerConfig.BatchNormStatistics bnStats = switch (batchNormStatistics.toLowerCase()) {
      case "batch" -> TrainerConfig.BatchNormStatistics.BATCH;
      case "frozen-after-warmup" -> TrainerConfig.BatchNormStatistics.FROZEN_AFTER_WARMUP;
      default -> throw new IllegalArgumentException("unknown batch-norm statistics '"
          + batchNormStatistics + "': use batch or frozen-after-warmup");
    };
    try {
      TrainerConfig.Builder b = TrainerConfig.builder();
      if (finetuneLr != null) {
        b.finetuneLearningRate(finetuneLr);
      }
      return b.knobs(knobs).epochs(epochs).finetuneEpochs(finetune)
          .batchSize(batchSize).optimizer(opt)
          .thetaOptimizer(thetaOpt)
          .thetaLearningRate(thetaLr != null ? thetaLr : 0)
          .seed(seed).threads(threads).rebuildThreshold(rebuildThreshold)
          .warmupEpochs(warmupEpochs).batchNormStatistics(bnStats).build();
    } catch (IllegalArgumentException e) {
      throw OptionChecks.named(e, "epochs must", "--epochs", "batch size", "--batch-size",
          "theta learning rate", "--theta-lr", "finetune epochs", "--finetune-epochs",
          "finetune learning rate", "--finetune-lr", "threads", "--threads", "warm-up epochs",
          "--warmup-epochs", "rebuild threshold", "--rebuild-threshold");
    }
  }
}
