package org.tfprune.data;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import java.util.Iterator;
import java.util.List;
import org.tensorflow.EagerSession;
import org.tensorflow.Operand;
import org.tensorflow.framework.data.Dataset;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/**
 * The batches of a TF-Java {@link Dataset} (tensorflow-framework) as {@link Batch}es for {@link
 * BatchReader}: each element a batch of float32 images {@code [batch, ...]} and int32 or int64
 * labels {@code [batch]} (build it with {@code .batch(n)}). Each pass iterates the dataset anew.
 * The dataset must be built on an {@link EagerSession} (TF-Java's {@code Dataset} iterates only
 * in eager mode); its own ops (a {@code TFRecordDataset}, a {@code map}) run as it is iterated.
 */
public final class DatasetBatches implements Iterable<Batch> {
  private final Dataset dataset;

  private DatasetBatches(Dataset dataset) {
    this.dataset = dataset;
  }

  /** The batches of {@code dataset}, whose elements are (images, labels). */
  public static DatasetBatches of(Dataset dataset) {
    checkNotNull(dataset, "dataset");
    checkArgument(dataset.getOpsInstance().scope().env() instanceof EagerSession,
        "the Dataset is built in a graph: build it with Ops.create(EagerSession.create()) (TF-Java "
            + "iterates a Dataset only in eager mode), or pass your batches as an Iterable<Batch>");
    List<Class<? extends TType>> types = dataset.getOutputTypes();
    checkArgument(types.size() == 2 && types.get(0) == TFloat32.class
        && (types.get(1) == TInt32.class || types.get(1) == TInt64.class),
        "the Dataset's elements are %s; they must be (float32 images, int32 or int64 labels): "
            + "map them with tf.dtypes.cast", types.stream().map(Class::getSimpleName).toList());
    return new DatasetBatches(dataset);
  }

  @Override
  public Iterator<Batch> iterator() {
    Iterator<List<Operand<?>>> elements = dataset.iterator();
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return elements.hasNext();
      }

      @Override
      public Batch next() {
        List<Operand<?>> e = elements.next();
        TFloat32 images = (TFloat32) e.get(0).asTensor();
        TType labelTensor = e.get(1).asTensor();
        int n = Math.toIntExact(labelTensor.shape().size());
        int[] labels = new int[n];
        if (labelTensor instanceof TInt32 l) {
          l.asRawTensor().data().asInts().read(labels);
        } else {
          long[] wide = new long[n];
          ((TInt64) labelTensor).asRawTensor().data().asLongs().read(wide);
          for (int i = 0; i < n; i++) {
            labels[i] = wide[i] < Integer.MIN_VALUE || wide[i] > Integer.MAX_VALUE ? -1
                : (int) wide[i];
          }
        }
        return Batch.of(images, labels);
      }
    };
  }
}
