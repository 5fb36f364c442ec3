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
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.GateGroup;
import org.tfprune.spec.InputSpec;
import org.tfprune.testing.Tf;
import org.tfprune.testing.TinyResNet;

/**
 * A sampled pass records each gate group's straight-through offset, and the loss's gradient with
 * respect to it, times the mask, equals the gradient with respect to theta itself: for unit,
 * input, filter, block and coupled stream groups, with frozen structures among them.
 */
class StraightThroughOffsetTest {
  @Test
  void denseNetworkWithInputGates() {
    check(ArchitectureSpec.of("mlp", InputSpec.flat(12, true), DenseLayer.gatedRelu("h1", 7),
        DenseLayer.gatedRelu("h2", 5), DenseLayer.logits("out", 3)), 12, 3);
  }

  @Test
  void residualNetworkWithCoupledStreams() {
    check(TinyResNet.coupled(), 28 * 28, 10);
  }

  private static void check(ArchitectureSpec spec, int features, int classes) {
    int batch = 4;
    SplittableRandom r = new SplittableRandom(5);
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      NetworkGraph net = NetworkBuilder.build(tf, spec, true, 3);
      ForwardPass pass = net.forward(GateMode.SAMPLED, true, "sampled");
      Placeholder<TFloat32> labels = tf.placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, classes)));
      Operand<TFloat32> loss = tf.math.mean(
          tf.nn.softmaxCrossEntropyWithLogits(pass.logits(), labels).loss(), tf.constant(0));
      List<GateGroup> groups = spec.gateGroups();
      assertThat(pass.thetaOffsets()).containsOnlyKeys(
          groups.stream().map(GateGroup::name).toArray(String[]::new));
      List<Output<?>> thetas = new ArrayList<>();
      List<Output<?>> offsets = new ArrayList<>();
      for (GateGroup gg : groups) {
        thetas.add(net.theta(gg.name()).asOutput());
        offsets.add(pass.thetaOffsets().get(gg.name()).asOutput());
      }
      Output<?>[] byTheta = g.addGradients(loss.asOutput(), thetas.toArray(new Output<?>[0]));
      Output<?>[] byOffset = g.addGradients(loss.asOutput(), offsets.toArray(new Output<?>[0]));

      net.initialize(s, ParameterInitializer.initialize(spec, 7, 1f));
      Map<String, HostTensor> gates = new LinkedHashMap<>();
      Map<String, float[]> masks = new LinkedHashMap<>();
      for (GateGroup gg : groups) {
        float[] theta = new float[gg.size()];
        float[] mask = new float[gg.size()];
        for (int i = 0; i < gg.size(); i++) {
          boolean frozen = gg.size() > 1 && i % 3 == 1;
          mask[i] = frozen ? 0f : 1f;
          theta[i] = frozen ? 0f : (float) r.nextDouble(0.3, 0.9);
        }
        masks.put(gg.name(), mask);
        gates.put(ParameterSet.key(gg.name(), ParameterSet.THETA),
            new HostTensor(new long[] {theta.length}, theta));
        gates.put(ParameterSet.key(gg.name(), NetworkGraph.MASK),
            new HostTensor(new long[] {mask.length}, mask));
      }
      net.assign(s, gates);
      float[] x = new float[batch * features];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) r.nextDouble();
      }
      float[] y = new float[batch * classes];
      for (int b = 0; b < batch; b++) {
        y[b * classes + b % classes] = 1f;
      }
      long[] inShape = NetworkBuilder.inputShape(spec).asArray();
      inShape[0] = batch;
      List<Tensor> fed = new ArrayList<>();
      try (TFloat32 xt = TFloat32.tensorOf(Shape.of(inShape),
              org.tensorflow.ndarray.buffer.DataBuffers.of(x, true, false));
          TFloat32 yt = Tf.tensor(y, batch, classes)) {
        Session.Runner run = s.runner().feed(net.input(), xt).feed(labels, yt);
        for (GateGroup gg : groups) {
          Operand<TFloat32> u = net.negatedGateUniforms().get(gg.name());
          boolean perExample = u.shape().numDimensions() == 2;
          float[] v = new float[(perExample ? batch : 1) * gg.size()];
          for (int i = 0; i < v.length; i++) {
            v[i] = (float) -r.nextDouble();
          }
          TFloat32 t = perExample ? Tf.tensor(v, batch, gg.size()) : Tf.tensor(v, gg.size());
          fed.add(t);
          run.feed(u, t);
        }
        for (int i = 0; i < groups.size(); i++) {
          run.fetch(byTheta[i]).fetch(byOffset[i]);
        }
        try (Result res = run.run()) {
          boolean anyNonZero = false;
          for (int i = 0; i < groups.size(); i++) {
            String name = groups.get(i).name();
            float[] expected = Tf.values(res.get(2 * i));
            float[] got = Tf.values(res.get(2 * i + 1));
            float[] mask = masks.get(name);
            for (int j = 0; j < got.length; j++) {
              got[j] *= mask[j];
              anyNonZero |= expected[j] != 0f;
            }
            assertThat(got).as(name).containsExactly(expected);
          }
          assertThat(anyNonZero).as("the gradients are not all zero").isTrue();
        }
      } finally {
        fed.forEach(Tensor::close);
      }
    }
  }
}
