package org.tfprune.testing.tf2;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.SavedModel;

/** Writes a SavedModel's files: saved_model.pb and the variables bundle (TensorFlow's SaveV2). */
final class Bundles {
  private Bundles() {}

  static void write(Path dir, SavedModel model, List<String> keys, List<long[]> shapes,
      List<float[]> values) {
    try {
      Files.createDirectories(dir.resolve("variables"));
      Files.write(dir.resolve("saved_model.pb"), model.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      List<Operand<?>> tensors = new ArrayList<>();
      for (int i = 0; i < keys.size(); i++) {
        tensors.add(tf.constant(Shape.of(shapes.get(i)), DataBuffers.of(values.get(i), true,
            false)));
      }
      String[] slices = new String[keys.size()];
      java.util.Arrays.fill(slices, "");
      s.runner().addTarget(tf.train.save(tf.constant(dir.resolve("variables/variables")
          .toString()), tf.constant(NdArrays.vectorOfObjects(keys.toArray(String[]::new))),
          tf.constant(NdArrays.vectorOfObjects(slices)), tensors))
          .run();
    }
  }
}
