package org.tfprune.imports;

import java.nio.file.Path;

/**
 * Imports another team's model: reads a TF-Java (TF1-style) SavedModel or a frozen GraphDef,
 * maps its graph to a gated {@link org.tfprune.spec.ArchitectureSpec} with the trained weights,
 * and, given real examples, checks that the imported network with every gate open reproduces the
 * original outputs within {@link #TOLERANCE}.
 *
 * <pre>{@code
 * ImportedModel m = ModelImporter.load(Path.of("their-model"), ImportOptions.DEFAULT, x, n);
 * new PruningTrainer(config, listener).train(m.spec(), m.parameters(), train, test);
 * }</pre>
 */
public final class ModelImporter {
  /** Largest difference accepted between the imported network and the original. */
  public static final double TOLERANCE = 1e-6;

  private ModelImporter() {}

  /** Reads and maps the model at {@code path} without comparing it with the original. */
  public static ImportedModel load(Path path, ImportOptions options) {
    try (SourceModel source = SourceModel.open(path, options)) {
      return GraphMapper.map(source, options);
    }
  }

  /**
   * Reads and maps the model at {@code path}, then compares it with the original on {@code count}
   * examples held row-major in {@code sample}; refuses it when any output differs by more than
   * {@link #TOLERANCE}. The result carries the comparison ({@link ImportedModel#check()}).
   */
  public static ImportedModel load(Path path, ImportOptions options, float[] sample, int count) {
    try (SourceModel source = SourceModel.open(path, options)) {
      ImportedModel model = GraphMapper.map(source, options);
      long[] shape = source.inputShape();
      long size = 1;
      for (int i = 1; i < shape.length; i++) {
        size *= shape[i];
      }
      if (count <= 0 || (long) sample.length != count * size) {
        throw new ImportException(path + " reads " + size + " values per example (input shape "
            + java.util.Arrays.toString(shape) + ") but the data gives " + (count > 0
            ? sample.length / count : 0) + ": use the data set the model was trained on");
      }
      ImportCheck check = ImportCheck.run(source, model, sample, count);
      if (!check.passes(TOLERANCE)) {
        throw new ImportException(String.format("the imported network does not reproduce %s: "
            + "with every gate open its outputs differ from the original's by up to %.3g "
            + "(per output: %s) over %d examples, more than %.0e. Nothing was trained or "
            + "written. This is a bug in tf-prune's importer: please report it with the model's "
            + "saved_model.pb", path, check.maxAbsDiff(), check.maxAbsDiffByOutput(),
            count, TOLERANCE));
      }
      return model.withCheck(check);
    }
  }
}
