package org.tfprune.examples.experiments;

import static com.google.common.base.Preconditions.checkNotNull;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.tfprune.complexity.Complexity;
import org.tfprune.complexity.ComplexityCounter;
import org.tfprune.examples.data.Datasets;
import org.tfprune.examples.data.ImagesTrainingData;
import org.tfprune.examples.data.LabeledImages;
import org.tfprune.models.Models;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.train.PruningTrainer;
import org.tfprune.train.TrainerConfig;
import org.tfprune.train.TrainingResult;

/**
 * What the suites share while they run: the plan, the data sets (loaded once), the progress
 * display, the directory plots go to, and a cache of finished runs so that suites run together
 * train each recipe once.
 */
public final class ExperimentContext {
  /** Batch size of every run (the product's default). */
  static final int BATCH_SIZE = 128;

  private final ExperimentPlan plan;
  private final Map<String, Path> dataDirs;
  private final ExperimentProgress progress;
  private final Path plotDir;
  private final int threads;
  private final Map<String, Datasets.Split> splits = new HashMap<>();
  private final Map<RunRecipe, TrainedRun> runs = new HashMap<>();

  /**
   * @param dataDirs data directory per data set name; data sets not listed load from their
   *     default directory
   * @param threads TensorFlow threads per run (0 = TensorFlow's default)
   */
  public ExperimentContext(ExperimentPlan plan, Map<String, Path> dataDirs,
      ExperimentProgress progress, Path plotDir, int threads) {
    this.plan = checkNotNull(plan, "plan");
    this.dataDirs = Map.copyOf(dataDirs);
    this.progress = checkNotNull(progress, "progress");
    this.plotDir = checkNotNull(plotDir, "plot directory");
    this.threads = threads;
  }

  public ExperimentPlan plan() {
    return plan;
  }

  public ExperimentProgress progress() {
    return progress;
  }

  /**
   * Starts the suite {@code name} on the progress display with {@code plannedRuns} training runs
   * planned, and returns the builder of its result, titled {@code title}.
   */
  public SuiteResult.Builder startSuite(String name, String title, int plannedRuns) {
    progress.startSuite(name, plannedRuns);
    return SuiteResult.builder(name, title);
  }

  /** Where a plot named {@code file} is written. */
  public Path plotFile(String file) {
    return plotDir.resolve(file);
  }

  /** The reference model of a recipe, at its width (gates on every prunable structure). */
  public ArchitectureSpec spec(RunRecipe r) {
    LabeledImages train = split(r.dataset()).train();
    return Models.create(r.model(), train.featureShape(), train.numClasses(),
        r.widthMultiplier());
  }

  /** The training data of a data set under a budget's limit. */
  public ImagesTrainingData trainData(String dataset, TrainingBudget b) {
    LabeledImages t = split(dataset).train();
    return new ImagesTrainingData(b.trainLimit() > 0 ? t.head(b.trainLimit()) : t);
  }

  /** The test data of a data set under a budget's limit. */
  public ImagesTrainingData testData(String dataset, TrainingBudget b) {
    LabeledImages t = split(dataset).test();
    return new ImagesTrainingData(b.testLimit() > 0 ? t.head(b.testLimit()) : t);
  }

  private Datasets.Split split(String dataset) {
    return splits.computeIfAbsent(dataset, d -> dataDirs.containsKey(d)
        ? Datasets.load(d, dataDirs.get(d)) : Datasets.load(d));
  }

  /**
   * The trainer settings of a recipe: the product's defaults (Adam 1e-3 cosine-decayed to 1e-5,
   * batch 128, theta initialised at 1, projected SGD on theta with step 1) with the recipe's
   * knobs, seed and budget; conv nets take Adam steps on theta (the README's advice), of the
   * plan's size.
   */
  public TrainerConfig config(RunRecipe r) {
    boolean conv = !r.model().equals(RunRecipe.MLP);
    return TrainerConfig.builder().knobs(r.knobs()).epochs(r.budget().epochs())
        .finetuneEpochs(r.gated() ? r.budget().finetuneEpochs() : 0).batchSize(BATCH_SIZE)
        .thetaOptimizer(conv ? TrainerConfig.ThetaOptimizer.ADAM
            : TrainerConfig.ThetaOptimizer.SGD)
        .thetaLearningRate(conv ? plan.convThetaLearningRate() : 1.0).seed(r.seed())
        .gated(r.gated()).threads(threads).build();
  }

  /** Trains a recipe, or returns the run of an equal recipe trained before. */
  public TrainedRun train(RunRecipe r) {
    TrainedRun cached = runs.get(r);
    if (cached != null) {
      progress.runStarted(r.label());
      progress.runFinished(cached.summary(), true);
      return cached;
    }
    ArchitectureSpec spec = spec(r);
    TrainedRun run = train(r.label(), r.method(), r, spec, null, config(r),
        ComplexityCounter.count(spec));
    runs.put(r, run);
    return run;
  }

  /**
   * Trains {@code spec} (not cached): from {@code initial} parameters, or freshly initialized
   * when null. The data and budget come from {@code basis}; MACs are reported against
   * {@code reference}.
   */
  public TrainedRun train(String label, String method, RunRecipe basis, ArchitectureSpec spec,
      ParameterSet initial, TrainerConfig config, Complexity reference) {
    progress.runStarted(label);
    RunRecorder recorder = new RunRecorder(spec, config.gated(), config.thetaInit(), progress);
    PruningTrainer trainer = new PruningTrainer(config, recorder);
    ImagesTrainingData train = trainData(basis.dataset(), basis.budget());
    ImagesTrainingData test = testData(basis.dataset(), basis.budget());
    TrainingResult result = initial == null ? trainer.train(spec, train, test)
        : trainer.train(spec, initial, train, test);
    RunSummary summary = RunSummary.of(label, method, basis, result, reference,
        spec.widthString(), plan.thresholds().binary());
    progress.runFinished(summary, false);
    return new TrainedRun(basis, result, recorder.trace(), summary);
  }
}
