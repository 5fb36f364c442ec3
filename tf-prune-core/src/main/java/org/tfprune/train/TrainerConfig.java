package org.tfprune.train;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import org.tfprune.loss.ComplexityAwareLoss;
import org.tfprune.loss.PressureCalibration;
import org.tfprune.loss.PruningKnobs;
import org.tfprune.spec.ArchitectureSpec;

/**
 * Everything a training run needs besides the spec and the data. Immutable; build it with
 * {@link #builder()}. Defaults derive what depends on the network from its spec
 * ({@link PressureCalibration}).
 *
 * @param gated false trains the dense baseline: same net, no gates, plain cross-entropy
 * @param finetuneEpochs the last epochs run with deterministic (rounded) gates and only the
 *     weights trained; 0 disables the phase
 * @param finetuneLearningRate the weight learning rate at the start of the fine-tuning phase,
 *     from where it decays again (cosine) to the final one; 0 continues the main schedule. The
 *     default rewinds to the optimizer's initial learning rate: the structure has just changed
 *     (theta rounded, dead structures removed), and a network retrained from a high rate recovers
 *     more of the accuracy than one fine-tuned at the small rate the main schedule has reached
 * @param thetaOptimizer {@link ThetaOptimizer#AUTO} (the default: chosen from the network's cost
 *     structure, {@link #resolvedThetaOptimizer}), projected SGD (calibrated on LeNet-300-100) or
 *     Adam followed by the projection (steps of about the learning rate whatever the gradient's
 *     scale, which suits networks whose layers differ widely in cost per structure)
 * @param thetaLearningRate step size of the theta update; 0 (the default) = the chosen
 *     optimizer's own ({@link #resolvedThetaLearningRate})
 * @param pruneCheckEvery steps between two applications of the pruning condition
 * @param normRefreshEvery steps between two refreshes of the objective's slowly changing parts:
 *     the structure norms {@code |w_s|^2}, the per-weight coefficients of the prior's weight
 *     gradient, and theta's gradient from the prior and the complexity cost (which depends on
 *     theta only through sums over whole layers); a step then differentiates only the data loss
 *     (1 = every step, exact; the default 10 saves most of their cost, while weights and theta
 *     move little in 10 steps)
 * @param threads TensorFlow intra-op threads (0 = TensorFlow's default)
 * @param rebuildThreshold the training graph is rebuilt without the frozen structures once they
 *     hold at least this fraction of its MACs, so later steps cost less (0 = never rebuild: masks
 *     only)
 * @param checkpoint where and how often the whole training state is saved, and whether to resume
 *     from it (null: no checkpoints)
 * @param warmupEpochs the first epochs train the weights of the whole network (all gates open)
 *     without updating theta, so pruning starts from a network that already uses its structures:
 *     the data gradient of a gate is meaningless in an untrained network, and conv layers whose
 *     filters are priced high otherwise collapse before they learn anything
 * @param budget the fractions of the dense MACs and parameters to land on ({@link Budget#NONE}:
 *     the strength alone sets the pressure); with a target, the pressure starts at a sixteenth
 *     of the strength and a {@link BudgetController} adapts it during the pruning phase
 * @param batchNormStatistics what batch norm normalizes by when a gated network trains ({@link
 *     BatchNormStatistics})
 */
public record TrainerConfig(PruningKnobs knobs, int epochs, int batchSize,
    OptimizerSpec optimizer, ThetaOptimizer thetaOptimizer, double thetaLearningRate,
    float thetaInit, int finetuneEpochs,
    double finetuneLearningRate, PruningCondition pruningCondition, int pruneCheckEvery, int normRefreshEvery, long seed,
    boolean gated, int evalBatchSize, int threads, double rebuildThreshold,
    CheckpointPolicy checkpoint, int warmupEpochs, Budget budget,
    BatchNormStatistics batchNormStatistics) {

  /** How theta is updated (always followed by the projection onto [0, 1]). */
  public enum ThetaOptimizer { AUTO, SGD, ADAM }

  /**
   * What batch norm normalizes by in a gated network's training steps. Under the batch's
   * statistics the data loss does not change when every filter before a normalization is scaled
   * together, so the gates' data gradients within such a layer sum to zero: they rank the
   * filters but say nothing about the layer's width.
   */
  public enum BatchNormStatistics {
    /** The batch's statistics in every phase; the moving ones follow them (the serving figures). */
    BATCH,
    /**
     * The batch's statistics in the warm-up epochs, whose steps keep the moving ones up to date;
     * from the first pruning step on, the moving statistics, which no longer change, so every
     * later step trains the network that is served (gamma and beta still learn). A run without
     * warm-up epochs uses the moving statistics from its first step: they must already be
     * meaningful, as an imported model's are.
     */
    FROZEN_AFTER_WARMUP
  }

  /** Adam's step on theta when the learning rate is left to the optimizer. */
  public static final double ADAM_THETA_LEARNING_RATE = 0.01;
  /**
   * How many times Adam's theta can cross [0, 1] in a pruning phase at least: 6, what the
   * default step allows in the 600-step phases it was chosen on.
   */
  public static final double ADAM_THETA_TRAVEL = 6;
  /** Projected SGD's step on theta (LeNet-300-100's calibration) before the depth scaling. */
  public static final double SGD_THETA_LEARNING_RATE = 1.0;

  public TrainerConfig {
    checkNotNull(knobs, "knobs");
    checkNotNull(thetaOptimizer, "theta optimizer");
    checkNotNull(optimizer, "optimizer");
    checkNotNull(pruningCondition, "pruning condition");
    checkNotNull(budget, "budget (Budget.NONE for none)");
    checkNotNull(batchNormStatistics, "batch-norm statistics");
    checkArgument(epochs > 0 && epochs <= 10_000, "epochs must be in [1, 10000], got %s", epochs);
    checkArgument(batchSize > 0 && batchSize <= 65_536, "batch size must be in [1, 65536], got %s",
        batchSize);
    checkArgument(thetaLearningRate >= 0 && Double.isFinite(thetaLearningRate),
        "theta learning rate must be positive (or 0 for the theta optimizer's default), got %s",
        thetaLearningRate);
    checkArgument(thetaInit > 0 && thetaInit <= 1, "theta init must be in (0, 1], got %s",
        thetaInit);
    checkArgument(finetuneEpochs >= 0 && finetuneEpochs < epochs,
        "finetune epochs must be in [0, epochs) = [0, %s), got %s", epochs, finetuneEpochs);
    checkArgument(finetuneLearningRate >= 0 && Double.isFinite(finetuneLearningRate),
        "finetune learning rate must be >= 0 (0 = continue the main schedule), got %s",
        finetuneLearningRate);
    checkArgument(pruneCheckEvery > 0, "prune-check interval must be positive, got %s",
        pruneCheckEvery);
    checkArgument(normRefreshEvery > 0, "norm refresh interval must be positive, got %s",
        normRefreshEvery);
    checkArgument(evalBatchSize > 0, "eval batch size must be positive, got %s", evalBatchSize);
    checkArgument(threads >= 0, "threads must be >= 0, got %s", threads);
    checkArgument(warmupEpochs >= 0 && warmupEpochs + finetuneEpochs < epochs,
        "warm-up epochs must be >= 0 and leave at least one pruning epoch before the %s "
            + "fine-tuning epochs of %s, got %s", finetuneEpochs, epochs, warmupEpochs);
    checkArgument(rebuildThreshold >= 0 && rebuildThreshold <= 1,
        "rebuild threshold must be in [0, 1] (a fraction of the training graph's MACs; 0 = never "
            + "rebuild), got %s", rebuildThreshold);
  }

  /**
   * The settings that decide a run's trajectory, as text: a checkpoint records it and only
   * resumes under the same (checkpoint and resume settings themselves excluded).
   */
  public String trajectoryKey() {
    return toBuilder().checkpoint(null).build().toString();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.knobs = knobs;
    b.epochs = epochs;
    b.batchSize = batchSize;
    b.optimizer = optimizer;
    b.thetaOptimizer = thetaOptimizer;
    b.thetaLearningRate = thetaLearningRate;
    b.thetaInit = thetaInit;
    b.finetuneEpochs = finetuneEpochs;
    b.finetuneLearningRate = finetuneLearningRate;
    b.pruningCondition = pruningCondition;
    b.pruneCheckEvery = pruneCheckEvery;
    b.normRefreshEvery = normRefreshEvery;
    b.seed = seed;
    b.gated = gated;
    b.evalBatchSize = evalBatchSize;
    b.threads = threads;
    b.rebuildThreshold = rebuildThreshold;
    b.checkpoint = checkpoint;
    b.warmupEpochs = warmupEpochs;
    b.budget = budget;
    b.batchNormStatistics = batchNormStatistics;
    return b;
  }

  /**
   * The theta optimizer for {@code spec} (the spec training starts from): {@link
   * ThetaOptimizer#AUTO} picks projected SGD where the cost per structure is even across the
   * network ({@link PressureCalibration#sgdSuits}), Adam elsewhere.
   */
  public ThetaOptimizer resolvedThetaOptimizer(ArchitectureSpec spec) {
    if (thetaOptimizer != ThetaOptimizer.AUTO) {
      return thetaOptimizer;
    }
    return PressureCalibration.of(spec, knobs.flopsShare()).sgdSuits() ? ThetaOptimizer.SGD
        : ThetaOptimizer.ADAM;
  }

  /**
   * The theta step for {@code spec}: the one set, else Adam's {@value #ADAM_THETA_LEARNING_RATE}
   * or SGD's {@value #SGD_THETA_LEARNING_RATE} divided by the complexity weight's depth factor
   * (SGD steps grow with the calibrated pressure; this keeps them LeNet-300-100's size).
   */
  public double resolvedThetaLearningRate(ArchitectureSpec spec) {
    return resolvedThetaLearningRate(spec, Long.MAX_VALUE);
  }

  /**
   * The theta step for {@code spec} trained on {@code trainingExamples}: as {@link
   * #resolvedThetaLearningRate(ArchitectureSpec)}, except that Adam's step grows in a pruning
   * phase of fewer than {@value #ADAM_THETA_TRAVEL} / {@value #ADAM_THETA_LEARNING_RATE} steps
   * so that theta can still cross [0, 1] {@value #ADAM_THETA_TRAVEL} times in it (a short run
   * with Adam's small step would end with theta still between 0 and 1: nothing pruned).
   */
  public double resolvedThetaLearningRate(ArchitectureSpec spec, long trainingExamples) {
    checkArgument(trainingExamples > 0, "training examples must be positive, got %s",
        trainingExamples);
    if (thetaLearningRate > 0) {
      return thetaLearningRate;
    }
    if (resolvedThetaOptimizer(spec) == ThetaOptimizer.ADAM) {
      long steps = (trainingExamples / batchSize) * (pruningEpochs() - warmupEpochs);
      return steps <= 0 ? ADAM_THETA_LEARNING_RATE
          : Math.max(ADAM_THETA_LEARNING_RATE, ADAM_THETA_TRAVEL / steps);
    }
    PressureCalibration c = PressureCalibration.of(spec, knobs.flopsShare());
    return SGD_THETA_LEARNING_RATE * ComplexityAwareLoss.COMPLEXITY_WEIGHT / c.complexityWeight();
  }

  /**
   * The weight learning rate at {@code step} of {@code totalSteps}: the optimizer's cosine
   * schedule, or in the fine-tuning phase ({@code finetune}) a cosine from
   * {@link #finetuneLearningRate} (unless 0) down to the final rate.
   */
  public double learningRateAt(boolean finetune, long step, long totalSteps, int stepsPerEpoch) {
    if (!finetune || finetuneLearningRate == 0) {
      return optimizer.learningRateAt(step, totalSteps);
    }
    long begin = (long) pruningEpochs() * stepsPerEpoch;
    return OptimizerSpec.cosine(finetuneLearningRate, optimizer.finalLearningRate(), step - begin,
        totalSteps - begin);
  }

  /** Number of epochs in which gates are sampled and theta is learned. */
  public int pruningEpochs() {
    return gated ? epochs - finetuneEpochs : 0;
  }

  /** Builder with the calibrated defaults. */
  public static final class Builder {
    private PruningKnobs knobs = PruningKnobs.defaults();
    private int epochs = 60;
    private int batchSize = 128;
    private OptimizerSpec optimizer = OptimizerSpec.adam(1e-3, 1e-5);
    private ThetaOptimizer thetaOptimizer = ThetaOptimizer.AUTO;
    private double thetaLearningRate = 0;
    private float thetaInit = 1.0f;
    private int finetuneEpochs = 0;
    private Double finetuneLearningRate = null; // null: rewind to the optimizer's rate
    private PruningCondition pruningCondition = PruningCondition.defaults();
    private int pruneCheckEvery = 100;
    private int normRefreshEvery = 10;
    private long seed = 1;
    private boolean gated = true;
    private int evalBatchSize = 1000;
    private int threads = 0;
    private double rebuildThreshold = 0.25;
    private CheckpointPolicy checkpoint = null;
    private int warmupEpochs = 0;
    private Budget budget = Budget.NONE;
    private BatchNormStatistics batchNormStatistics = BatchNormStatistics.BATCH;

    public Builder batchNormStatistics(BatchNormStatistics v) {
      batchNormStatistics = v;
      return this;
    }

    public Builder budget(Budget v) {
      budget = v;
      return this;
    }

    public Builder warmupEpochs(int v) {
      warmupEpochs = v;
      return this;
    }

    public Builder rebuildThreshold(double v) {
      rebuildThreshold = v;
      return this;
    }

    public Builder checkpoint(CheckpointPolicy v) {
      checkpoint = v;
      return this;
    }

    public Builder knobs(PruningKnobs v) {
      knobs = v;
      return this;
    }

    public Builder epochs(int v) {
      epochs = v;
      return this;
    }

    public Builder batchSize(int v) {
      batchSize = v;
      return this;
    }

    public Builder optimizer(OptimizerSpec v) {
      optimizer = v;
      return this;
    }

    public Builder thetaOptimizer(ThetaOptimizer v) {
      thetaOptimizer = v;
      return this;
    }

    public Builder thetaLearningRate(double v) {
      thetaLearningRate = v;
      return this;
    }

    public Builder thetaInit(float v) {
      thetaInit = v;
      return this;
    }

    public Builder finetuneEpochs(int v) {
      finetuneEpochs = v;
      return this;
    }

    /** The fine-tuning phase's initial learning rate (default: the optimizer's; 0 = no rewind). */
    public Builder finetuneLearningRate(double v) {
      finetuneLearningRate = v;
      return this;
    }

    public Builder pruningCondition(PruningCondition v) {
      pruningCondition = v;
      return this;
    }

    public Builder pruneCheckEvery(int v) {
      pruneCheckEvery = v;
      return this;
    }

    public Builder normRefreshEvery(int v) {
      normRefreshEvery = v;
      return this;
    }

    public Builder seed(long v) {
      seed = v;
      return this;
    }

    public Builder gated(boolean v) {
      gated = v;
      return this;
    }

    public Builder evalBatchSize(int v) {
      evalBatchSize = v;
      return this;
    }

    public Builder threads(int v) {
      threads = v;
      return this;
    }

    public TrainerConfig build() {
      return new TrainerConfig(knobs, epochs, batchSize, optimizer, thetaOptimizer,
          thetaLearningRate, thetaInit,
          finetuneEpochs,
          finetuneLearningRate != null ? finetuneLearningRate : optimizer.learningRate(),
          pruningCondition, pruneCheckEvery, normRefreshEvery, seed, gated,
          evalBatchSize, threads, rebuildThreshold, checkpoint, warmupEpochs, budget,
          batchNormStatistics);
    }
  }
}
