package org.tfprune.data;

import java.util.Arrays;

/** The checks every example passes before it is trained on: finite values, a label in range. */
final class ExampleChecks {
  private ExampleChecks() {}

  /** Throws if one of the example's values at {@code offset} is NaN or infinite. */
  static void checkFinite(float[] values, int offset, int size, ExampleReader.Cursor cursor) {
    for (int i = offset; i < offset + size; i++) {
      if (!Float.isFinite(values[i])) {
        throw new InvalidValueException(cursor.file(), cursor.record(), String.format(
            "value %d of the example is %s", i - offset, values[i]), "Remove or repair the "
            + "record: training on NaN or infinite inputs makes every weight NaN.");
      }
    }
  }

  /** Throws if the label the cursor read last is not in {@code [0, numClasses)}. */
  static void checkLabel(int label, int numClasses, ExampleReader.Cursor cursor) {
    if (label < 0 || label >= numClasses) {
      throw new LabelOutOfRangeException(cursor.file(), cursor.record(), String.format(
          "has label %d, out of range 0..%d for %d classes", label, numClasses - 1, numClasses),
          "Pass labels 0.." + (numClasses - 1) + " (the model's outputs), or a model with more "
          + "outputs.");
    }
  }

  /**
   * Throws unless data of {@code dataShape} fits a model input of {@code modelShape} (the same
   * shape once dimensions of size 1 are dropped).
   */
  static void checkShape(String source, int[] dataShape, int[] modelShape) {
    if (!ExampleShapes.compatible(dataShape, modelShape)) {
      throw new ShapeMismatchException(source, -1, String.format("holds examples of shape %s but "
          + "the model's input has shape %s", Arrays.toString(dataShape),
          Arrays.toString(modelShape)), "Pass data of the model's input shape, or a model built "
          + "for " + Arrays.toString(dataShape) + ".");
    }
  }
}
