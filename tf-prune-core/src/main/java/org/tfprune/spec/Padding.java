package org.tfprune.spec;

/** Convolution and pooling padding, as in TensorFlow. */
public enum Padding {
  /** Output size {@code ceil(in / stride)}. */
  SAME,
  /** Output size {@code ceil((in - size + 1) / stride)}. */
  VALID;

  /** Output length of a window of {@code size} sliding with {@code stride} over {@code in}. */
  public int outputSize(int in, int size, int stride) {
    int out = this == SAME ? (in + stride - 1) / stride : (in - size + stride) / stride;
    if (out <= 0) {
      throw new IllegalArgumentException(String.format("a %dx%d window with stride %d and %s "
          + "padding does not fit an input of size %d", size, size, stride, this, in));
    }
    return out;
  }
}
