package org.tfprune.export;

import java.util.Map;
import java.util.Optional;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;
import org.tfprune.testing.ArrayData;
import org.tfprune.testing.Mnist;
import org.tfprune.testing.Tf;

/**
 * Run in a fresh JVM by {@link ExportTest}: loads a SavedModel with nothing but TF-Java, scores
 * the first {@code count} MNIST test examples and prints {@code correct=<n> count=<count>}.
 * Arguments: the SavedModel directory and the number of examples.
 */
public final class SavedModelAccuracyMain {
  private SavedModelAccuracyMain() {}

  public static void main(String[] args) {
    String dir = args[0];
    int count = Integer.parseInt(args[1]);
    ArrayData test = Mnist.test(count);
    try (SavedModelBundle b = SavedModelBundle.load(dir, "serve");
        TFloat32 x = Tf.tensor(test.features(), count, test.featureSize());
        Result r = b.function("serving_default").call(Map.of("input", x))) {
      Optional<Tensor> logits = r.get("logits");
      float[] l = Tf.values(logits.orElseThrow());
      int classes = l.length / count;
      int correct = 0;
      for (int i = 0; i < count; i++) {
        int best = 0;
        for (int c = 1; c < classes; c++) {
          if (l[i * classes + c] > l[i * classes + best]) {
            best = c;
          }
        }
        correct += best == test.label(i) ? 1 : 0;
      }
      System.out.println("correct=" + correct + " count=" + count);
    }
  }
}
