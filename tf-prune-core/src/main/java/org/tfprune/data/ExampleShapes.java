package org.tfprune.data;

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

  private static int[] squeeze(int[] s) {
    return Arrays.stream(s).filter(d -> d != 1).toArray();
  }
}
