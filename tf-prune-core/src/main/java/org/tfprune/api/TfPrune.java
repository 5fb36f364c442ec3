package org.tfprune.api;

import static com.google.common.base.Preconditions.checkNotNull;

import java.nio.file.Path;
import org.tfprune.imports.ImportOptions;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;

/**
 * The front door: {@link #wrap} an existing SavedModel (or frozen GraphDef) or {@link #train} a
 * spec, set the knobs, {@link Pruning#prune} on your data and {@link PrunedModel#export} the
 * compact model.
 *
 * <pre>{@code
 * try (PrunedModel pruned = TfPrune.wrap(Path.of("their-model"))
 *     .withKnobs(new PruningKnobs(1, 0.5, 0.5)).prune(train, test)) {
 *   pruned.export(Path.of("their-model-pruned"));
 * }
 * }</pre>
 *
 * <p>To land on a size instead of trading by strength: {@code
 * TfPrune.wrap(path).withTargetMacs(0.25).prune(train, test)} keeps about a quarter of the MACs.
 */
public final class TfPrune {
  private TfPrune() {}

  /**
   * The model at {@code savedModel} (a SavedModel directory written by TF-Java or a frozen
   * GraphDef file), read with the {@code serve} tag and its only or {@code serving_default}
   * signature; pruning starts from its trained weights and the export keeps its interface.
   */
  public static Pruning wrap(Path savedModel) {
    return wrap(savedModel, ImportOptions.DEFAULT);
  }

  /** As {@link #wrap(Path)}, read as {@code options} say (tags, signature, initial theta). */
  public static Pruning wrap(Path savedModel, ImportOptions options) {
    checkNotNull(savedModel, "saved model path");
    checkNotNull(options, "import options");
    return Pruning.of(new Pruning.Source(savedModel, options, null, null, null));
  }

  /** {@code spec} trained and pruned from fresh (seeded) weights. */
  public static Pruning train(ArchitectureSpec spec) {
    return train(spec, null);
  }

  /**
   * {@code spec} trained and pruned from {@code initial} parameters (e.g. an imported model's
   * weights; null: fresh seeded ones).
   */
  public static Pruning train(ArchitectureSpec spec, ParameterSet initial) {
    checkNotNull(spec, "spec");
    return Pruning.of(new Pruning.Source(null, null, null, spec, initial));
  }
}
