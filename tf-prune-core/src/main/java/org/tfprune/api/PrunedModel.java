package org.tfprune.api;

import static com.google.common.base.Preconditions.checkArgument;

import java.nio.file.Path;
import java.util.Map;
import org.tfprune.complexity.Complexity;
import org.tfprune.complexity.ComplexityCounter;
import org.tfprune.export.CompactExporter;
import org.tfprune.export.ExportSettings;
import org.tfprune.export.InferenceModel;
import org.tfprune.imports.ImportedModel;
import org.tfprune.slice.HostTensor;
import org.tfprune.train.TrainingData;
import org.tfprune.train.TrainingResult;

/**
 * The outcome of a {@link Pruning}: the training result and the compact model, verified against
 * the gated network, ready to {@link #export}. Close it to free the model's session.
 */
public final class PrunedModel implements AutoCloseable {
  private final TrainingResult training;
  private final CompactExporter.VerifiedModel compact;
  private final int verifiedExamples;
  private final ImportedModel imported;
  private final ExportSettings export;

  PrunedModel(TrainingResult training, CompactExporter.VerifiedModel compact,
      int verifiedExamples, ImportedModel imported, ExportSettings export) {
    this.training = training;
    this.compact = compact;
    this.verifiedExamples = verifiedExamples;
    this.imported = imported;
    this.export = export;
  }

  /** Weights, keep-mask, per-epoch history and gate statistics of the training run. */
  public TrainingResult training() {
    return training;
  }

  /** The compact model (serve it in-process, or {@link #export} it). */
  public InferenceModel model() {
    return compact.model();
  }

  /** The model that was wrapped, or null when a spec was trained. */
  public ImportedModel imported() {
    return imported;
  }

  /** Largest difference between the compact model's and the gated network's logits. */
  public double maxAbsDiff() {
    return compact.maxAbsDiff();
  }

  /**
   * The rounding bound at the logit where {@link #maxAbsDiff} was measured: the verification
   * holds every logit to its own bound (see {@link org.tfprune.export.RoundingBound}).
   */
  public double tolerance() {
    return compact.boundAtMaxDiff();
  }

  /** Examples on which the compact model was verified. */
  public int verifiedExamples() {
    return verifiedExamples;
  }

  /** The cost of the network pruning started from. */
  public Complexity denseComplexity() {
    return training.denseComplexity();
  }

  /** The cost of the compact model (as exported, widths rounded if asked). */
  public Complexity compactComplexity() {
    return ComplexityCounter.count(compact.model().spec());
  }

  /** The compact model's MACs over the starting network's. */
  public double macsRatio() {
    return compactComplexity().macsRatio(denseComplexity());
  }

  /** The compact model's accuracy on {@code data}, in batches of 1000. */
  public double accuracy(TrainingData data) {
    checkArgument(data.size() > 0, "the data is empty");
    int n = data.size();
    int nc = data.numClasses();
    int correct = 0;
    for (int start = 0; start < n; start += 1000) {
      int len = Math.min(1000, n - start);
      int[] idx = new int[len];
      for (int i = 0; i < len; i++) {
        idx[i] = start + i;
      }
      float[] x = new float[len * data.featureSize()];
      float[] y = new float[len * nc];
      data.fill(idx, x, y);
      HostTensor logits = compact.model().predict(x, len);
      for (int i = 0; i < len; i++) {
        int best = 0;
        int label = 0;
        for (int k = 1; k < nc; k++) {
          best = logits.get(i * nc + k) > logits.get(i * nc + best) ? k : best;
          label = y[i * nc + k] > y[i * nc + label] ? k : label;
        }
        correct += best == label ? 1 : 0;
      }
    }
    return (double) correct / n;
  }

  /** Writes the compact SavedModel to {@code out}, which must not exist yet. */
  public void export(Path out) {
    export(out, false, Map.of());
  }

  /**
   * Writes the compact SavedModel and {@code extraFiles} (name to content, e.g. a report) to
   * {@code out}, atomically: into a temporary sibling directory moved into place when complete.
   * An existing {@code out} is replaced only if {@code overwrite}.
   */
  public void export(Path out, boolean overwrite, Map<String, byte[]> extraFiles) {
    compact.model().save(out, overwrite, extraFiles);
  }

  @Override
  public void close() {
    compact.close();
  }

  /** The features of the first {@code count} examples of {@code data}, row-major. */
  static float[] features(TrainingData data, int count) {
    int[] idx = new int[count];
    for (int i = 0; i < count; i++) {
      idx[i] = i;
    }
    float[] x = new float[count * data.featureSize()];
    data.fill(idx, x, new float[count * data.numClasses()]);
    return x;
  }
}
