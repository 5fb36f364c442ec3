package org.tfprune.api;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;
import static com.google.common.base.Preconditions.checkState;

import java.nio.file.Path;
import org.tfprune.export.CompactExporter;
import org.tfprune.export.ExportSettings;
import org.tfprune.export.ServingSignature;
import org.tfprune.imports.ImportException;
import org.tfprune.imports.ImportOptions;
import org.tfprune.imports.ImportedModel;
import org.tfprune.imports.ModelImporter;
import org.tfprune.loss.PruningKnobs;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.train.Budget;
import org.tfprune.train.PruningTrainer;
import org.tfprune.train.TrainerConfig;
import org.tfprune.train.TrainingData;
import org.tfprune.train.TrainingListener;
import org.tfprune.train.TrainingResult;

/**
 * One pruning job, immutable: what is pruned (a wrapped model or a spec), the trainer's settings
 * (knobs included), who hears the progress and how the compact model is exported. Obtain it from
 * {@link TfPrune}.
 */
public final class Pruning {
  /** Examples of the evaluation data on which an import is checked against the original. */
  public static final int CHECK_EXAMPLES = 1000;
  /** Examples of the evaluation data on which the compact model is verified. */
  public static final int VERIFY_EXAMPLES = 1000;

  /**
   * What is pruned: a model to import ({@code path}, {@code options}), one already imported and
   * checked ({@code imported}), or a spec ({@code spec}) trained from {@code initial} parameters
   * (null: fresh ones).
   */
  record Source(Path path, ImportOptions options, ImportedModel imported, ArchitectureSpec spec,
      ParameterSet initial) {}

  private final Source source;
  private final TrainerConfig config;
  private final TrainingListener listener;
  private final ExportSettings export;

  private Pruning(Source source, TrainerConfig config, TrainingListener listener,
      ExportSettings export) {
    this.source = source;
    this.config = config;
    this.listener = listener;
    this.export = export;
  }

  static Pruning of(Source source) {
    return new Pruning(source, TrainerConfig.builder().build(), TrainingListener.NONE,
        ExportSettings.DEFAULT);
  }

  /** This job with the trainer's settings {@code c} (their knobs included). */
  public Pruning withConfig(TrainerConfig c) {
    return new Pruning(source, checkNotNull(c, "trainer config"), listener, export);
  }

  /** This job with the knobs {@code k} (strength, FLOPs share, layer share). */
  public Pruning withKnobs(PruningKnobs k) {
    return withConfig(config.toBuilder().knobs(checkNotNull(k, "knobs")).build());
  }

  /**
   * This job landing on a complexity budget (e.g. {@code Budget.ofMacs(0.25)}: a quarter of the
   * dense MACs): the pressure starts at a sixteenth of the strength and adapts during the
   * pruning phase.
   * A target the network cannot reach (below one unit per layer) is refused when training starts,
   * before any work.
   */
  public Pruning withBudget(Budget b) {
    return withConfig(config.toBuilder().budget(checkNotNull(b, "budget (Budget.NONE for none)"))
        .build());
  }

  /** As {@link #withBudget}: keep this fraction of the dense network's MACs. */
  public Pruning withTargetMacs(double fraction) {
    return withBudget(new Budget(fraction, config.budget().params()));
  }

  /** As {@link #withBudget}: keep this fraction of the dense network's parameters. */
  public Pruning withTargetParams(double fraction) {
    return withBudget(new Budget(config.budget().macs(), fraction));
  }

  /** This job reporting steps and epochs to {@code l}. */
  public Pruning withListener(TrainingListener l) {
    return new Pruning(source, config, l == null ? TrainingListener.NONE : l, export);
  }

  /** This job exporting as {@code e} asks (width rounding, batch-norm folding). */
  public Pruning withExport(ExportSettings e) {
    return new Pruning(source, config, listener, checkNotNull(e, "export settings"));
  }

  public TrainerConfig config() {
    return config;
  }

  /** The imported model once {@link #load} ran, else null. */
  public ImportedModel imported() {
    return source.imported();
  }

  /**
   * This job with the wrapped model imported and checked: with every gate open it must reproduce
   * the original on the first {@value #CHECK_EXAMPLES} examples of {@code data}, and have as many
   * outputs as {@code data} has classes. A spec, or a model already loaded, is returned as is.
   *
   * @throws ImportException when the model cannot be read, mapped or reproduced
   */
  public Pruning load(TrainingData data) {
    if (source.path() == null) {
      return this;
    }
    checkNotNull(data, "data");
    int count = Math.min(CHECK_EXAMPLES, data.size());
    checkArgument(count > 0, "the evaluation data is empty: the import is checked on it");
    ImportedModel model = ModelImporter.load(source.path(), source.options(),
        PrunedModel.features(data, count), count);
    if (model.spec().numClasses() != data.numClasses()) {
      throw new ImportException(source.path() + " has " + model.spec().numClasses()
          + " outputs but the data has " + data.numClasses() + " classes: prune it on the data "
          + "set it was trained for");
    }
    return new Pruning(new Source(null, null, model, null, null), config, listener, export);
  }

  /**
   * Imports the wrapped model if not yet {@link #load loaded} and prune-trains it on {@code train},
   * evaluating each epoch on {@code test}: the training alone, without the compact model.
   */
  public TrainingResult train(TrainingData train, TrainingData test) {
    return train(load(test).source, train, test);
  }

  private TrainingResult train(Source s, TrainingData train, TrainingData test) {
    checkNotNull(train, "training data");
    checkNotNull(test, "evaluation data");
    PruningTrainer trainer = new PruningTrainer(config, listener);
    if (s.imported() != null) {
      return trainer.train(s.imported().spec(), s.imported().parameters(), train, test);
    }
    checkState(s.spec() != null, "nothing to train");
    return s.initial() != null ? trainer.train(s.spec(), s.initial(), train, test)
        : trainer.train(s.spec(), train, test);
  }

  /**
   * {@link #train}, then builds the compact model, verified against the gated network on the
   * first {@value #VERIFY_EXAMPLES} examples of {@code test}, with the wrapped model's serving
   * interface (tf-prune's default for a spec).
   */
  public PrunedModel prune(TrainingData train, TrainingData test) {
    checkNotNull(test, "evaluation data");
    Source s = load(test).source;
    TrainingResult result = train(s, train, test);
    ServingSignature signature = s.imported() != null ? s.imported().signature()
        : ServingSignature.DEFAULT;
    int count = Math.min(VERIFY_EXAMPLES, test.size());
    CompactExporter.VerifiedModel compact = CompactExporter.compact(result.spec(),
        result.parameters(), result.keep(), PrunedModel.features(test, count), count, signature,
        export);
    return new PrunedModel(result, compact, count, s.imported(), export);
  }
}
