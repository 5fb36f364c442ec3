package org.tfprune.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tfprune.op.GateMode;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.KeepMask;
import org.tfprune.testing.Tf;

/**
 * A pass that gates the input features themselves computes what the pass gating the first
 * kernel's rows does, and {@link InputGateGradient} gives the kernel and theta gradients that
 * differentiating through the kernel's gates gives, for the same gate sample: kept, dropped and
 * frozen features, with the input read whole and through a feature selection (transposed).
 */
class InputGateGradientTest {
  private static final ArchitectureSpec FULL = ArchitectureSpec.of("mlp",
      InputSpec.flat(10, true), DenseLayer.gatedRelu("hidden", 6), DenseLayer.logits("out", 3));
  private static final int BATCH = 5;

  @ParameterizedTest(name = "selected features: {0}")
  @ValueSource(booleans = {false, true})
  void gradientsEqualDifferentiatingThroughTheKernelGates(boolean selects) {
    ArchitectureSpec spec = FULL;
    if (selects) { // a spec that reads features 0-7 of the 10 (the gather, transposed)
      boolean[] in = new boolean[10];
      java.util.Arrays.fill(in, 0, 8, true);
      boolean[] hidden = new boolean[6];
      java.util.Arrays.fill(hidden, true);
      spec = FULL.compact(KeepMask.of(Map.of(InputSpec.GATE_GROUP, in, "hidden", hidden)));
      assertThat(spec.input().selects()).isTrue();
    }
    int features = spec.input().width();
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      NetworkGraph net = NetworkBuilder.build(tf, spec, true, 3);
      ForwardPass onKernel = net.forward(GateMode.SAMPLED, true, "kernel_gates");
      ForwardPass onFeatures = net.forward(GateMode.SAMPLED, true, "feature_gates", true);
      assertThat(onKernel.inputGate()).isEmpty();
      InputGateTap tap = onFeatures.inputGate().orElseThrow();
      assertThat(tap.transposed()).isEqualTo(selects);
      Placeholder<TFloat32> labels = tf.placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 3)));
      Operand<TFloat32> lossK = ce(tf, onKernel.logits(), labels);
      Operand<TFloat32> lossF = ce(tf, onFeatures.logits(), labels);
      Output<?> kernel = net.variable("hidden/kernel").asOutput();
      Output<?>[] gk = g.addGradients(lossK.asOutput(),
          new Output<?>[] {kernel, net.theta(InputSpec.GATE_GROUP).asOutput(),
              net.theta("hidden").asOutput()});
      Output<?>[] gf = g.addGradients(lossF.asOutput(),
          new Output<?>[] {tap.preActivation().asOutput(), net.theta("hidden").asOutput()});
      @SuppressWarnings("unchecked")
      InputGateGradient.Gradients ours = InputGateGradient.of(tf, tap, (Output<TFloat32>) gf[0],
          net.mask(InputSpec.GATE_GROUP));

      SplittableRandom r = new SplittableRandom(11);
      net.initialize(s, ParameterInitializer.initialize(spec, 5, 1f));
      float[] theta = new float[features];
      float[] mask = new float[features];
      for (int i = 0; i < features; i++) {
        theta[i] = 0.2f + 0.6f * (i % 4) / 3f;
        mask[i] = i == 1 ? 0f : 1f; // feature 1 frozen
      }
      net.assign(s, Map.of("input/theta", new HostTensor(new long[] {features}, theta),
          "input/mask", new HostTensor(new long[] {features}, mask)));
      float[] u = new float[features];
      float[] x = new float[BATCH * 10];
      float[] y = new float[BATCH * 3];
      for (int i = 0; i < u.length; i++) {
        u[i] = (float) -r.nextDouble(); // the graph takes negated draws
      }
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) r.nextDouble(-1, 1);
      }
      for (int b = 0; b < BATCH; b++) {
        y[b * 3 + b % 3] = 1f;
      }
      float[] units = new float[BATCH * 6];
      for (int i = 0; i < units.length; i++) {
        units[i] = (float) -r.nextDouble();
      }
      try (TFloat32 xt = Tf.tensor(x, BATCH, 10); TFloat32 yt = Tf.tensor(y, BATCH, 3);
          TFloat32 ut = Tf.tensor(u, features); TFloat32 hu = Tf.tensor(units, BATCH, 6);
          Result res = s.runner().feed(net.input(), xt).feed(labels, yt)
              .feed(net.negatedGateUniforms().get(InputSpec.GATE_GROUP), ut)
              .feed(net.negatedGateUniforms().get("hidden"), hu)
              .fetch(onKernel.logits()).fetch(onFeatures.logits())
              .fetch(gk[0]).fetch(ours.kernel()).fetch(gk[1]).fetch(ours.theta()).fetch(gk[2])
              .fetch(gf[1])
              .fetch(tap.sample()).run()) {
        assertThat(Tf.values(res.get(1))).containsExactly(Tf.values(res.get(0)), within(1e-6f));
        assertThat(Tf.values(res.get(3))).as("kernel gradient")
            .containsExactly(Tf.values(res.get(2)), within(1e-6f));
        float[] expected = Tf.values(res.get(4));
        for (int i = 0; i < features; i++) {
          expected[i] *= mask[i]; // theta * mask: a frozen feature's theta gets no gradient
        }
        float[] got = Tf.values(res.get(5));
        assertThat(got).as("input theta gradient").containsExactly(expected, within(1e-6f));
        assertThat(Tf.values(res.get(7))).as("unit theta gradient")
            .containsExactly(Tf.values(res.get(6)), within(1e-6f));
        float[] z = Tf.values(res.get(8));
        int dropped = 0;
        int kept = 0;
        for (int i = 0; i < features; i++) {
          if (mask[i] > 0 && z[i] == 0f) {
            dropped++;
            assertThat(got[i]).as("dropped feature %d", i).isNotEqualTo(0f);
          }
          kept += z[i] == 1f ? 1 : 0;
        }
        assertThat(dropped).as("the sample drops some live features").isPositive();
        assertThat(kept).as("the sample keeps some features").isPositive();
        assertThat(got[1]).isZero();
      }
    }
  }

  private static Operand<TFloat32> ce(Ops tf, Operand<TFloat32> logits, Operand<TFloat32> labels) {
    return tf.math.mean(tf.nn.softmaxCrossEntropyWithLogits(logits, labels).loss(),
        tf.constant(0));
  }
}
