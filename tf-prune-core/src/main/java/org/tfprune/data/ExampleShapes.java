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
