package org.tfprune.data;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Arrays;

/** Compares example shapes the way the readers and checks do: dimensions of size 1 do not count. */
public final class ExampleShapes {
  private ExampleShapes() {}

  /**
   * Whether data of shape {@code a} can be fed where {@code b} is expected: the same row-major
   * values once dimensions of size 1 are dropped ({@code {28, 28}} fits {@code {28, 28, 1}}).
   */
  public static boolean compatible(int[] a, int[] b) {
    return Arrays.equals(squeeze(a), squeeze(b));
  }

  /**
   * Throws {@link ShapeMismatchException} unless examples of {@code dataShape} can be fed to a
   * model whose input has shape {@code modelInput} (the batch dimension first, -1 where any size
   * goes): the same shape once dimensions of size 1 are dropped, or the same number of values
   * (the data is then fed in the model's shape, row-major). The message names both shapes and
   * the fix.
   *
   * @param source the data, for the message
   */
  public static void checkFeeds(String source, int[] dataShape, long[] modelInput) {
    if (modelInput.length < 2) {
      return; // a scalar or unknown input: nothing to compare
    }
    long values = 1;
    int[] model = new int[modelInput.length - 1];
    for (int i = 1; i < modelInput.length; i++) {
      if (modelInput[i] < 0) {
        return; // any size goes in this dimension: the model takes what it is given
      }
      model[i - 1] = Math.toIntExact(modelInput[i]);
      values *= modelInput[i];
    }
    long dataValues = Arrays.stream(dataShape).asLongStream().reduce(1, (a, b) -> a * b);
    if (compatible(dataShape, model) || values == dataValues) {
      return;
    }
    StringBuilder shown = new StringBuilder("[?");
    for (int d : model) {
      shown.append(", ").append(d);
    }
    shown.append(']');
    throw new ShapeMismatchException(source, -1, String.format("holds examples of shape %s (%d "
        + "values) but the model's input has shape %s (%d values per example)",
        Arrays.toString(dataShape), dataValues, shown, values), "Pass data of the model's input "
        + "shape (the data it was trained on, or images resized or cropped " + (model.length == 1
        ? "to " + values + " values" : "to " + Arrays.toString(model)) + "), or a model built "
        + "for " + Arrays.toString(dataShape) + ".");
  }

  /** Checks that {@code shape} is a shape the in-memory readers accept: positive dimensions. */
  static void checkPositive(int[] shape) {
    checkArgument(shape.length > 0 && Arrays.stream(shape).allMatch(d -> d > 0),
        "example shape %s must have positive dimensions", Arrays.toString(shape));
  }

  /** The number of values of one example of {@code shape}: the product of its dimensions. */
  static int size(int[] shape) {
    return Math.toIntExact(Arrays.stream(shape).asLongStream().reduce(1, (a, b) -> a * b));
  }

  private static int[] squeeze(int[] s) {
    return Arrays.stream(s).filter(d -> d != 1).toArray();
  }
}
