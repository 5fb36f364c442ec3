package org.tfprune.train;

import static com.google.common.base.Preconditions.checkState;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tfprune.build.ForwardPass;
import org.tfprune.build.InputGateGradient;
import org.tfprune.build.InputGateTap;
import org.tfprune.build.NetworkGraph;
import org.tfprune.loss.LossTerms;
import org.tfprune.loss.TensorCache;
import org.tfprune.op.PruneOps;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.GateGroup;
import org.tfprune.spec.InputSpec;

/**
 * Builds the op of one training step: the data loss's gradients, the weight optimizer's update
 * and theta's projected update, with theta's regulariser gradient taken from a refreshed cache.
 */
final class StepOps {
  private final Graph graph;
  private final Ops tf;
  private final NetworkGraph net;
  private final TrainerConfig config;
  private final Placeholder<TFloat32> learningRate;
  private final TensorCache thetaCache;
  private final List<WeightOptimizer> optimizers;
  private final TrainerConfig.ThetaOptimizer thetaOptimizer;
  private final double thetaLearningRate;

  /**
   * @param thetaCache where theta's regulariser gradient is cached
   * @param optimizers receives every optimizer the steps create (their state is saved)
   * @param initialSpec the spec training started from (it chooses the theta optimizer)
   * @param trainingExamples the training set's size (it sets Adam's theta step in short runs)
   */
  StepOps(Graph graph, Ops tf, NetworkGraph net, TrainerConfig config,
      Placeholder<TFloat32> learningRate, TensorCache thetaCache,
      List<WeightOptimizer> optimizers, ArchitectureSpec initialSpec, long trainingExamples) {
    this.thetaOptimizer = config.resolvedThetaOptimizer(initialSpec);
    this.thetaLearningRate = config.resolvedThetaLearningRate(initialSpec,
        trainingExamples);
    this.graph = graph;
    this.tf = tf;
    this.net = net;
    this.config = config;
    this.learningRate = learningRate;
    this.thetaCache = thetaCache;
    this.optimizers = optimizers;
  }

  /** Gradient step on the weights (and projected SGD on theta when {@code withTheta}). */
  Op build(LossTerms objective, boolean withTheta, ForwardPass pass, String name) {
    List<Op> statUpdates = pass.updates();
    List<Variable<TFloat32>> weights = net.weights();
    List<Variable<TFloat32>> thetas = new ArrayList<>();
    if (withTheta) {
      net.gateGroups().forEach(g -> thetas.add(net.theta(g.name())));
    }
    // a pass gating the input features passes no gradient to their theta: it is formed from
    // the first kernel's gradient and the first product's (InputGateGradient)
    InputGateTap tap = withTheta ? pass.inputGate().orElse(null) : null;
    Operand<TFloat32> firstKernel = tap == null ? null : tap.kernel();
    Variable<TFloat32> inputTheta = tap == null ? null : net.theta(InputSpec.GATE_GROUP);
    // the first kernel's slot asks for the first product's gradient instead
    List<Output<?>> xs = new ArrayList<>();
    weights.forEach(v -> xs.add(v == firstKernel ? tap.preActivation().asOutput()
        : v.asOutput()));
    Map<Variable<TFloat32>, Integer> thetaSlot = new LinkedHashMap<>();
    for (int i = 0; i < thetas.size(); i++) {
      Variable<TFloat32> v = thetas.get(i);
      if (v != inputTheta) {
        thetaSlot.put(v, xs.size());
        // the gradient with respect to the gates' straight-through offset, times the mask, is
        // theta's (the offset follows theta * mask), without the ops between theta and the
        // gates
        String group = net.gateGroups().get(i).name();
        Operand<TFloat32> offset = pass.thetaOffsets().get(group);
        checkState(offset != null, "the sampled pass has no gates of group %s", group);
        xs.add(offset.asOutput());
      }
    }
    // the weights' gradient beyond the data loss is analytic (objective.weightGradients());
    // theta's gradient from the prior and the complexity cost depends on theta only through
    // sums over layers and on the cached norms, so it is cached too and refreshed with them:
    // a step differentiates just the data loss
    Output<?>[] grads = graph.addGradients(objective.data().asOutput(),
        xs.toArray(new Output<?>[0]));
    Output<?>[] regularizer = thetas.isEmpty() ? new Output<?>[0] : graph.addGradients(
        tf.withSubScope(name + "_regularizer").math.add(objective.prior(),
            objective.complexity()).asOutput(),
        thetas.stream().map(Variable::asOutput).toArray(Output<?>[]::new));
    List<Output<TFloat32>> wg = new ArrayList<>();
    Ops sum = tf.withSubScope(name + "_gradients");
    InputGateGradient.Gradients input = tap == null ? null : InputGateGradient.of(sum, tap,
        cast(grads[weights.indexOf(firstKernel)]), net.mask(InputSpec.GATE_GROUP));
    for (int i = 0; i < weights.size(); i++) {
      Operand<TFloat32> analytic = objective.weightGradients().get(net.weightKeys().get(i));
      Output<TFloat32> data = weights.get(i) == firstKernel ? input.kernel().asOutput()
          : cast(grads[i]);
      wg.add(analytic == null ? data : sum.math.add(data, analytic).asOutput());
    }
    List<Operand<TFloat32>> tg = new ArrayList<>();
    Ops reg = tf.withSubScope(name + "_theta_gradients");
    for (int i = 0; i < thetas.size(); i++) {
      Operand<TFloat32> shaped = reg.reshape(cast(regularizer[i]),
          reg.constant(new long[] {thetas.get(i).shape().size(0)}));
      Operand<TFloat32> data = thetas.get(i) == inputTheta ? input.theta()
          : reg.math.mul(cast(grads[thetaSlot.get(thetas.get(i))]),
              net.mask(net.gateGroups().get(i).name()));
      tg.add(reg.math.add(data,
          thetaCache.cached("theta_gradient/" + net.gateGroups().get(i).name(), shaped)));
    }
    // Variables are updated in place: no update may start before every gradient (and so every
    // read of the old weights) is done, or runs stop being reproducible. The control edges
    // come straight from the ops computing the gradients (no extra op per gradient).
    List<Op> computed = new ArrayList<>();
    wg.forEach(g -> computed.add(g::op));
    tg.forEach(g -> computed.add(g::op));
    Ops afterGradients = tf.withSubScope(name + "_all_gradients")
        .withControlDependencies(computed);
    wg.replaceAll(g -> afterGradients.identity(g).asOutput());
    tg.replaceAll(afterGradients::identity);
    WeightOptimizer opt = new WeightOptimizer(tf, config.optimizer(), net.weightKeys(), weights, wg,
        learningRate,
        name + "_optimizer");
    optimizers.add(opt);
    List<Op> done = new ArrayList<>(statUpdates);
    done.add(opt.update());
    if (thetas.isEmpty()) {
      return tf.withSubScope(name).withControlDependencies(done).noOp();
    }
    List<Op> assigns = new ArrayList<>();
    List<GateGroup> groups = net.gateGroups();
    if (thetaOptimizer == TrainerConfig.ThetaOptimizer.ADAM) {
      // Adam steps theta in place, then theta is projected onto [0, 1] (and the mask)
      Ops th = tf.withSubScope(name + "_theta");
      WeightOptimizer thetaOpt = new WeightOptimizer(tf, OptimizerSpec.adam(
          thetaLearningRate, thetaLearningRate),
          groups.stream().map(g -> ParameterSet.key(g.name(), ParameterSet.THETA)).toList(),
          thetas,
          tg.stream().map(Operand::asOutput).toList(),
          th.constant((float) thetaLearningRate), name + "_theta_optimizer");
      optimizers.add(thetaOpt);
      Ops after = th.withControlDependencies(List.of(opt.update(), thetaOpt.update()));
      PruneOps prune = PruneOps.create(after);
      for (int i = 0; i < thetas.size(); i++) {
        assigns.add(after.assign(thetas.get(i), prune.gates.project(thetas.get(i),
            net.mask(groups.get(i).name()))));
      }
    } else {
      // projected SGD: theta <- clip(theta - lr * g, 0, 1) * mask
      Ops after = tf.withSubScope(name).withControlDependencies(List.of(opt.update()));
      PruneOps prune = PruneOps.create(after);
      for (int i = 0; i < thetas.size(); i++) {
        Variable<TFloat32> th = thetas.get(i);
        Operand<TFloat32> stepped = after.math.sub(th, after.math.mul(tg.get(i),
            after.constant((float) thetaLearningRate)));
        assigns.add(after.assign(th, prune.gates.project(stepped,
            net.mask(groups.get(i).name()))));
      }
    }
    assigns.addAll(statUpdates);
    return tf.withSubScope(name).withControlDependencies(assigns).noOp();
  }

  @SuppressWarnings("unchecked")
  private Output<TFloat32> cast(Output<?> o) {
    return (Output<TFloat32>) o;
  }
}
