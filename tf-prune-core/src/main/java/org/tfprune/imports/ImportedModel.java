package org.tfprune.imports;

import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import org.tfprune.export.ServingSignature;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;

/**
 * A model read from another team's SavedModel or frozen GraphDef: the spec with gates inserted
 * where the method allows, the trained weights plus the gates' initial {@code theta}, the source's
 * serving interface (so the compact export can keep it), and notes on what the import changed
 * (e.g. a batch-norm epsilon folded into the moving variance). {@code check} is the comparison
 * with the original model, or null when none was made.
 */
public record ImportedModel(String source, ArchitectureSpec spec, ParameterSet parameters,
    ServingSignature signature, ImmutableList<String> notes, ImportCheck check) {
  public ImportedModel {
    checkNotNull(source, "source");
    checkNotNull(spec, "spec");
    checkNotNull(parameters, "parameters");
    checkNotNull(signature, "signature");
    checkNotNull(notes, "notes");
  }

  /** This model with the result of its comparison with the original. */
  public ImportedModel withCheck(ImportCheck c) {
    return new ImportedModel(source, spec, parameters, signature, notes, c);
  }
}
