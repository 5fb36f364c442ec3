package org.tfprune.data;

import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.image.DecodeJpeg;
import org.tensorflow.op.image.DecodePng;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;

/**
 * Decodes PNG and JPEG images with TensorFlow's own {@code DecodePng} and {@code DecodeJpeg} ops,
 * so the pixels are those a TensorFlow input pipeline would see. Holds a small graph and session:
 * close it.
 */
final class ImageDecoder implements AutoCloseable {
  private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G'};

  private final Graph graph = new Graph();
  private final Session session;
  private final Placeholder<TString> input;
  private final Operand<TUint8> png;
  private final Operand<TUint8> jpeg;

  /** A decoded image: its shape {@code {height, width, channels}} and its bytes, row-major. */
  record Image(int[] shape, byte[] pixels) {}

  ImageDecoder() {
    Ops tf = Ops.create(graph);
    input = tf.placeholder(TString.class, Placeholder.shape(Shape.scalar()));
    png = tf.image.decodePng(input, new DecodePng.Options[] {DecodePng.channels(0L)});
    jpeg = tf.image.decodeJpeg(input, DecodeJpeg.channels(0L));
    session = new Session(graph);
  }

  /** Whether {@code bytes} start like a PNG file. */
  static boolean isPng(byte[] bytes) {
    return bytes.length >= 4 && bytes[0] == PNG[0] && bytes[1] == PNG[1] && bytes[2] == PNG[2]
        && bytes[3] == PNG[3];
  }

  /** Whether {@code bytes} start like a JPEG file. */
  static boolean isJpeg(byte[] bytes) {
    return bytes.length >= 3 && (bytes[0] & 0xFF) == 0xFF && (bytes[1] & 0xFF) == 0xD8
        && (bytes[2] & 0xFF) == 0xFF;
  }

  /**
   * Decodes a PNG or JPEG image.
   *
   * @throws org.tensorflow.exceptions.TensorFlowException if TensorFlow cannot decode it
   */
  Image decode(byte[] encoded) {
    Operand<TUint8> op = isPng(encoded) ? png : jpeg;
    try (TString t = TString.tensorOfBytes(NdArrays.scalarOfObject(encoded));
        Result r = session.runner().feed(input, t).fetch(op).run()) {
      TUint8 image = (TUint8) r.get(0);
      long[] dims = image.shape().asArray();
      int[] shape = new int[dims.length];
      for (int i = 0; i < dims.length; i++) {
        shape[i] = Math.toIntExact(dims[i]);
      }
      byte[] pixels = new byte[Math.toIntExact(image.shape().size())];
      image.asRawTensor().data().read(pixels);
      return new Image(shape, pixels);
    }
  }

  @Override
  public void close() {
    session.close();
    graph.close();
  }
}
