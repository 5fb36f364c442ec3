package org.tfprune.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.common.collect.ImmutableList;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tfprune.build.ForwardPass;
import org.tfprune.build.NetworkBuilder;
import org.tfprune.build.NetworkGraph;
import org.tfprune.build.ParameterInitializer;
import org.tfprune.op.GateMode;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.Conv2DLayer;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.GlobalAvgPoolLayer;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.ResidualBlock;

/**
 * layerShare routes the complexity pressure between block gates and filter gates without
 * changing the cost's value: the block gate's gradient scales with layerShare, the filter gates'
 * with 1 - layerShare.
 */
class LayerShareTest {
  private static final ArchitectureSpec SPEC = new ArchitectureSpec("res", InputSpec.of(8, 8, 1),
      ImmutableList.of(Conv2DLayer.bnRelu("stem", 4, 1).withGated(false),
          ResidualBlock.basic("b0", 4, 4, 1, true, true), new GlobalAvgPoolLayer("gap"),
          DenseLayer.logits("output", 2)));

  /** [cost value, d cost / d theta_block, d cost / d theta_filter0]. */
  private static float[] complexityAndGradients(double layerShare) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      NetworkGraph net = NetworkBuilder.build(tf, SPEC, true, 1);
      ForwardPass pass = net.forward(GateMode.DETERMINISTIC, "p");
      ComplexityAwareLoss loss = new ComplexityAwareLoss(new PruningKnobs(1, 0.5, layerShare),
          1000);
      LossTerms t = loss.call(tf, net, pass.logits(), tf.zerosLike(pass.logits()));
      Output<?>[] grads = g.addGradients(t.complexity().asOutput(), new Output<?>[] {
          net.theta("b0").asOutput(), net.theta("b0_conv1").asOutput()});
      net.initialize(s, ParameterInitializer.initialize(SPEC, 1, 0.7f));
      try (Result r = s.runner().fetch(t.complexity()).fetch(grads[0]).fetch(grads[1]).run()) {
        return new float[] {((TFloat32) r.get(0)).getFloat(), ((TFloat32) r.get(1)).getFloat(0),
            ((TFloat32) r.get(2)).getFloat(0)};
      }
    }
  }

  @Test
  void layerShareMovesThePressureBetweenBlockAndFilterGatesButNotTheValue() {
    float[] low = complexityAndGradients(0.2);
    float[] high = complexityAndGradients(0.8);
    assertThat(high[0]).isCloseTo(low[0], within(1e-6f * Math.abs(low[0]) + 1e-9f));
    assertThat(low[1]).isPositive();
    assertThat(low[2]).isPositive();
    assertThat(high[1] / low[1]).isCloseTo(4f, within(1e-3f));
    assertThat(high[2] / low[2]).isCloseTo(0.25f, within(1e-3f));
  }
}
