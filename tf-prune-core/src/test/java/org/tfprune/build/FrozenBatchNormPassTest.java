package org.tfprune.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tfprune.op.GateMode;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.GateGroup;
import org.tfprune.testing.Tf;
import org.tfprune.testing.TinyResNet;

/**
 * A training pass whose batch norm uses the moving statistics computes the serving network and
 * updates nothing, and its gates' data gradients carry the layer's width: under the batch's
 * statistics the gradients of a group whose layer feeds a normalized convolution sum to zero
 * (scaling all of them together changes nothing after the normalization); under the moving
 * statistics they do not.
 */
class FrozenBatchNormPassTest {
  private static final int BATCH = 8;
  private static final int CLASSES = 10;
  /** conv1's filters of the first block: their gates feed conv2, which batch norm follows. */
  private static final String GROUP = "s1b0_conv1";

  @Test
  void frozenPassIsTheServingNetworkAndItsGateGradientsAreNotZeroSum() {
    ArchitectureSpec spec = TinyResNet.plain();
    SplittableRandom r = new SplittableRandom(11);
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      NetworkGraph net = NetworkBuilder.build(tf, spec, true, 3);
      ForwardPass frozen = net.forward(GateMode.SAMPLED, true, false, "frozen", false);
      ForwardPass batch = net.forward(GateMode.SAMPLED, true, true, "batch", false);
      ForwardPass serving = net.forward(GateMode.DETERMINISTIC, false, "serving");
      assertThat(frozen.updates()).as("a frozen pass updates no statistics").isEmpty();
      assertThat(batch.updates()).isNotEmpty();
      assertThat(net.hasBatchNorm()).isTrue();
      Placeholder<TFloat32> labels = tf.placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, CLASSES)));
      Output<?> frozenGrad = gateGradient(g, tf, frozen, labels);
      Output<?> batchGrad = gateGradient(g, tf, batch, labels);

      net.initialize(s, withStatistics(spec, ParameterInitializer.initialize(spec, 7, 1f), r));
      float[] x = new float[BATCH * 28 * 28];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) r.nextDouble();
      }
      float[] y = new float[BATCH * CLASSES];
      for (int b = 0; b < BATCH; b++) {
        y[b * CLASSES + b % CLASSES] = 1f;
      }
      List<Tensor> fed = new ArrayList<>();
      try (TFloat32 xt = Tf.tensor(x, BATCH, 28, 28, 1);
          TFloat32 yt = Tf.tensor(y, BATCH, CLASSES)) {
        Session.Runner run = s.runner().feed(net.input(), xt).feed(labels, yt);
        // every theta is 1: each sampled gate is 1, as the deterministic ones
        for (GateGroup gg : spec.gateGroups()) {
          Operand<TFloat32> u = net.negatedGateUniforms().get(gg.name());
          boolean perExample = u.shape().numDimensions() == 2;
          float[] v = new float[(perExample ? BATCH : 1) * gg.size()];
          for (int i = 0; i < v.length; i++) {
            v[i] = (float) -r.nextDouble();
          }
          TFloat32 t = perExample ? Tf.tensor(v, BATCH, gg.size()) : Tf.tensor(v, gg.size());
          fed.add(t);
          run.feed(u, t);
        }
        run.fetch(frozen.logits()).fetch(serving.logits()).fetch(batch.logits())
            .fetch(frozenGrad).fetch(batchGrad);
        try (Result res = run.run()) {
          float[] frozenLogits = Tf.values(res.get(0));
          float[] servingLogits = Tf.values(res.get(1));
          float[] batchLogits = Tf.values(res.get(2));
          for (int i = 0; i < frozenLogits.length; i++) {
            assertThat(frozenLogits[i]).as("logit %s", i)
                .isCloseTo(servingLogits[i], org.assertj.core.data.Offset.offset(1e-5f));
          }
          assertThat(maxDifference(batchLogits, servingLogits))
              .as("the batch's statistics differ from the moving ones").isGreaterThan(0.1);
          double[] batchSum = sums(Tf.values(res.get(4)));
          double[] frozenSum = sums(Tf.values(res.get(3)));
          assertThat(Math.abs(batchSum[0])).as("batch statistics: zero-sum gate gradient")
              .isLessThan(1e-3 * batchSum[1]);
          assertThat(Math.abs(frozenSum[0])).as("moving statistics: the gradients' sum")
              .isGreaterThan(0.05 * frozenSum[1]);
        }
      } finally {
        fed.forEach(Tensor::close);
      }
    }
  }

  /** The data loss's gradient with respect to {@link #GROUP}'s straight-through offset. */
  private static Output<?> gateGradient(Graph g, Ops tf, ForwardPass pass,
      Placeholder<TFloat32> labels) {
    Operand<TFloat32> loss = tf.math.mean(
        tf.nn.softmaxCrossEntropyWithLogits(pass.logits(), labels).loss(), tf.constant(0));
    return g.addGradients(loss.asOutput(),
        new Output<?>[] {pass.thetaOffsets().get(GROUP).asOutput()})[0];
  }

  /** {@code params} with moving statistics, gamma and beta away from their initial values. */
  private static ParameterSet withStatistics(ArchitectureSpec spec, ParameterSet params,
      SplittableRandom r) {
    Map<String, HostTensor> values = new LinkedHashMap<>(params.asMap());
    values.replaceAll((k, v) -> switch (ParameterSet.kindOf(k)) {
      case ParameterSet.MOVING_MEAN, ParameterSet.BETA -> random(v, r, -0.5, 0.5);
      case ParameterSet.MOVING_VARIANCE, ParameterSet.GAMMA -> random(v, r, 0.5, 2);
      default -> v;
    });
    return new ParameterSet(values);
  }

  private static HostTensor random(HostTensor like, SplittableRandom r, double lo, double hi) {
    float[] v = new float[like.values().length];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextDouble(lo, hi);
    }
    return new HostTensor(like.shape(), v);
  }

  /** The sum and the sum of absolute values. */
  private static double[] sums(float[] v) {
    double sum = 0;
    double abs = 0;
    for (float f : v) {
      sum += f;
      abs += Math.abs(f);
    }
    return new double[] {sum, abs};
  }

  private static double maxDifference(float[] a, float[] b) {
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }
}
