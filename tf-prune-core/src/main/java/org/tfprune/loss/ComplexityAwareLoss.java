package org.tfprune.loss;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tfprune.build.NetworkGraph;
import org.tfprune.complexity.Complexity;
import org.tfprune.complexity.ComplexityCounter;
import org.tfprune.complexity.LayerCost;
import org.tfprune.op.PruneOps;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.GateGroup;

/**
 * The complexity-aware objective of DESIGN.md section 3, as a functional piece over {@link Ops}
 * in the style of TF-Java's {@code Loss}: it holds configuration, not graph state.
 *
 * <pre>
 * J = mean CE
 *   + (1/N) sum_s [ t_s |w_s|^2 / (2 sigma1^2) + (1 - t_s) |w_s|^2 / (2 sigma0^2) ]   prior energy
 *   + strength * c * [ (1/2) (1/N) sum_s t_s n_s ln(sigma1/sigma0)                    prior price
 *                    + K * ( flopsShare E[MACs]/MACs_full + (1 - flopsShare) E[params]/params_full ) ]
 * </pre>
 *
 * {@code t_s} is the effective keep probability and {@code c} is {@link #PRESSURE_SCALE}. The prior
 * price is the theta-dependent part of the Gaussian normaliser; without it the prior only ever
 * keeps structures. {@code K} comes from the network's cost structure ({@link
 * PressureCalibration}): {@code strength} alone sets how hard the network is squeezed, means the
 * same on every network, and the pressure on every gate grows with it. The objective is affine in each {@code t_s}, so
 * its minima lie at theta in {0, 1}. With {@link PenaltyKind#L1} in the knobs the prior and the
 * complexity cost are replaced by a plain L1 penalty on theta (a baseline for comparisons).
 */
public final class ComplexityAwareLoss {
  /**
   * Pruning pressure per unit of strength, calibrated so that strength 1 keeps about 10% of
   * LeNet-300-100's MACs on MNIST at about the dense accuracy (60 epochs).
   */
  public static final double PRESSURE_SCALE = 1.6;

  /**
   * The weight of the plain L1 baseline's penalty at strength 1 (before {@link
   * #PRESSURE_SCALE}): LeNet-300-100's complexity weight, so strengths are of a like scale. The
   * complexity-aware objective takes its weight from {@link PressureCalibration}.
   */
  public static final double COMPLEXITY_WEIGHT = 6.25;

  private final PruningKnobs knobs;
  private final long trainingExamples;
  private final ArchitectureSpec reference;
  private final Map<String, Operand<TFloat32>> carriedNorms;

  /**
   * @param trainingExamples N, the size of the training set (the prior is per example)
   */
  public ComplexityAwareLoss(PruningKnobs knobs, long trainingExamples) {
    this(knobs, trainingExamples, null);
  }

  /**
   * A loss whose prior scales and complexity normalisers come from {@code reference}, the spec
   * training started from, rather than from the network it is applied to: a network rebuilt
   * smaller mid-training keeps exactly the objective it had (null: the network's own spec).
   */
  public ComplexityAwareLoss(PruningKnobs knobs, long trainingExamples,
      ArchitectureSpec reference) {
    checkArgument(trainingExamples > 0, "training set size must be positive, got %s",
        trainingExamples);
    this.knobs = knobs;
    this.trainingExamples = trainingExamples;
    this.reference = reference;
    this.carriedNorms = Map.of();
  }

  private ComplexityAwareLoss(ComplexityAwareLoss base,
      Map<String, Operand<TFloat32>> carriedNorms) {
    this.knobs = base.knobs;
    this.trainingExamples = base.trainingExamples;
    this.reference = base.reference;
    this.carriedNorms = Map.copyOf(carriedNorms);
  }

  /**
   * This loss with, per gate group, a constant added to each structure's {@code |w_s|^2}: the
   * squared norm of owned weights that a rebuilt network no longer holds (they read structures
   * that were frozen and removed), so the prior's energy stays what it was in the masked network.
   */
  public ComplexityAwareLoss withCarriedNorms(Ops tf, Map<String, float[]> carried) {
    Map<String, Operand<TFloat32>> constants = new LinkedHashMap<>();
    carried.forEach((g, c) -> constants.put(g, tf.constant(c)));
    return new ComplexityAwareLoss(this, constants);
  }

  /**
   * As {@link #withCarriedNorms(Ops, Map)}, with the carried norms read from operands (variables
   * a trainer decays as the removed weights would have decayed).
   */
  public ComplexityAwareLoss withCarriedNormOperands(Map<String, Operand<TFloat32>> carried) {
    return new ComplexityAwareLoss(this, carried);
  }

  /**
   * {@code K}, the weight of the normalized complexity cost at strength 1 for {@code spec} (the
   * spec training started from) under these knobs, before {@link #PRESSURE_SCALE}.
   */
  public double complexityWeight(ArchitectureSpec spec) {
    return PressureCalibration.of(reference != null ? reference : spec, knobs.flopsShare())
        .complexityWeight();
  }

  public PruningKnobs knobs() {
    return knobs;
  }

  /**
   * Builds the objective for a gated network.
   *
   * @param logits the logits of a forward pass of {@code net}
   * @param labels one-hot labels {@code [batch, classes]}
   */
  public LossTerms call(Ops tf, NetworkGraph net, Operand<TFloat32> logits,
      Operand<TFloat32> labels) {
    return call(tf, net, logits, labels, effectiveThetas(net), knobs.strength());
  }

  /** {@code flopsShare * MACs / MACs_full + (1 - flopsShare) * params / params_full}. */
  private Operand<TFloat32> normalized(Ops s, LayerCost<Operand<TFloat32>> cost,
      Complexity full) {
    return s.math.add(
        s.math.mul(cost.macs(), s.constant((float) (knobs.flopsShare() / full.macs()))),
        s.math.mul(cost.params(), s.constant((float) ((1 - knobs.flopsShare()) / full.params()))));
  }

  /** Expected widths where only gate groups of {@code kind} pass a gradient. */
  private static Function<String, Operand<TFloat32>> routed(Ops s,
      Function<String, Operand<TFloat32>> width, Map<String, GateGroup.Kind> kinds,
      GateGroup.Kind kind) {
    return g -> kinds.get(g) == kind ? width.apply(g) : s.stopGradient(width.apply(g));
  }

  /** {@code x} in value, with its gradient scaled by {@code c}: {@code c x + (1 - c) stop(x)}. */
  private static Operand<TFloat32> scaledGradient(Ops s, Operand<TFloat32> x,
      Operand<TFloat32> c) {
    return s.math.add(s.math.mul(x, c),
        s.math.mul(s.stopGradient(x), s.math.sub(s.constant(1f), c)));
  }

  /** The data loss: the batch's mean cross-entropy of {@code logits} against one-hot labels. */
  public static Operand<TFloat32> dataLoss(Ops tf, Operand<TFloat32> logits,
      Operand<TFloat32> labels) {
    return tf.math.mean(tf.nn.softmaxCrossEntropyWithLogits(logits, labels).loss(),
        tf.constant(0));
  }

  /** The effective keep probabilities {@code theta * mask} of every gate group of {@code net}. */
  public static Map<String, Operand<TFloat32>> effectiveThetas(NetworkGraph net) {
    Map<String, Operand<TFloat32>> theta = new LinkedHashMap<>();
    for (GateGroup g : net.gateGroups()) {
      theta.put(g.name(), net.effectiveTheta(g.name()));
    }
    return theta;
  }

  /**
   * Builds the objective with given gate probabilities (e.g. deterministic 0/1 gates for a
   * fine-tuning phase, with {@code strength} 0: only the data loss and the slab weight decay).
   */
  public LossTerms call(Ops tf, NetworkGraph net, Operand<TFloat32> logits,
      Operand<TFloat32> labels, Map<String, Operand<TFloat32>> theta, double strength) {
    return call(tf, net, logits, labels, theta, strength, TensorCache.NONE);
  }

  /**
   * Builds the objective, taking the gradient-free parts of the prior (the structure norms
   * {@code |w_s|^2}, which only enter theta's gradient, and the per-weight coefficients of its
   * weight gradient) through {@code cache}, so a trainer can refresh them every few steps.
   */
  public LossTerms call(Ops tf, NetworkGraph net, Operand<TFloat32> logits,
      Operand<TFloat32> labels, Map<String, Operand<TFloat32>> theta, double strength,
      TensorCache cache) {
    return call(tf, net, logits, labels, theta, tf.constant((float) strength), cache);
  }

  /**
   * As {@link #call(Ops, NetworkGraph, Operand, Operand, Map, double, TensorCache)} with the
   * strength read from a scalar operand (a variable a budget controller adjusts).
   */
  public LossTerms call(Ops tf, NetworkGraph net, Operand<TFloat32> logits,
      Operand<TFloat32> labels, Map<String, Operand<TFloat32>> theta,
      Operand<TFloat32> strength, TensorCache cache) {
    Ops s = tf.withSubScope("loss");
    Operand<TFloat32> data = dataLoss(s, logits, labels);
    if (knobs.penalty() == PenaltyKind.L1) {
      return l1Terms(s, net, data, theta, strength);
    }
    ArchitectureSpec spec = net.spec();
    ArchitectureSpec scales = reference != null ? reference : spec;
    float n = trainingExamples;
    Operand<TFloat32> energy = s.constant(0f);
    Operand<TFloat32> price = s.constant(0f);
    Map<String, Operand<TFloat32>> norms = new LinkedHashMap<>();
    StructureNorms.squaredNorms(s, net, carriedNorms).forEach((g, norm) ->
        norms.put(g, cache.cached("structure_norm/" + g, norm)));
    Map<String, Operand<TFloat32>> weightCoefficients = new LinkedHashMap<>();
    for (GateGroup g : net.gateGroups()) {
      PriorScales p = StructureWeights.scales(scales, g.name());
      Operand<TFloat32> t = theta.get(g.name());
      // c_s = t_s / (2 sigma1^2) + (1 - t_s) / (2 sigma0^2)
      Operand<TFloat32> c = s.math.add(
          s.math.mul(t, s.constant((float) (0.5 / p.sigma1Squared()))),
          s.math.mul(s.math.sub(s.constant(1f), t), s.constant((float) (0.5 / p.sigma0Squared()))));
      // value c_s |w_s|^2; gradient to theta only (the weight gradient is added analytically)
      energy = s.math.add(energy, s.reduceSum(s.math.mul(s.stopGradient(norms.get(g.name())), c),
          s.constant(0)));
      weightCoefficients.put(g.name(), s.math.div(s.stopGradient(c), s.constant(n)));
      price = s.math.add(price, s.math.mul(s.reduceSum(t, s.constant(0)),
          s.constant((float) p.parameterPrice())));
    }
    Map<String, Operand<TFloat32>> weightGradients = weightCoefficients.isEmpty() ? Map.of()
        : StructureNorms.quadraticGradients(s.withSubScope("prior_gradients"), net,
            weightCoefficients, cache);
    Operand<TFloat32> prior = s.math.div(s.math.add(energy,
        s.math.mul(price, s.math.mul(strength, s.constant((float) (0.5 * PRESSURE_SCALE))))),
        s.constant(n));

    PruneOps prune = PruneOps.create(s);
    Map<String, GateGroup.Kind> kinds = new LinkedHashMap<>();
    net.gateGroups().forEach(g -> kinds.put(g.name(), g.kind()));
    // a normalized group's gates feel a fraction of the pressure: the cost's value is the same,
    // its gradient to their theta is scaled (PressureCalibration#NORMALIZED_PRESSURE)
    Set<String> normalizedGroups = StructureWeights.normalizedGroups(scales);
    Operand<TFloat32> share = s.constant((float) PressureCalibration.NORMALIZED_PRESSURE);
    Function<String, Operand<TFloat32>> width = g -> prune.complexity.expectedWidth(
        normalizedGroups.contains(g) ? scaledGradient(s, theta.get(g), share) : theta.get(g));
    LayerCost<Operand<TFloat32>> expected = prune.complexity.expected(spec, width);
    Complexity full = ComplexityCounter.count(scales);
    boolean blocks = kinds.containsValue(GateGroup.Kind.BLOCK);
    boolean units = kinds.containsValue(GateGroup.Kind.UNIT);
    Operand<TFloat32> normalized;
    if (blocks && units) {
      // layerShare routes the pressure, not the value: the cost is evaluated twice, once with
      // only block gates and once with only unit gates differentiable; the two add up to it
      LayerCost<Operand<TFloat32>> toBlocks = prune.complexity.expected(spec,
          routed(s, width, kinds, GateGroup.Kind.BLOCK));
      LayerCost<Operand<TFloat32>> toUnits = prune.complexity.expected(spec,
          routed(s, width, kinds, GateGroup.Kind.UNIT));
      normalized = s.math.add(
          s.math.mul(normalized(s, toBlocks, full), s.constant((float) knobs.layerShare())),
          s.math.mul(normalized(s, toUnits, full),
              s.constant((float) (1 - knobs.layerShare()))));
    } else {
      normalized = normalized(s, expected, full); // one kind of gate carries all of it
    }
    double k = PRESSURE_SCALE * PressureCalibration.of(scales, knobs.flopsShare())
        .complexityWeight();
    Operand<TFloat32> complexity = s.math.mul(normalized,
        s.math.mul(strength, s.constant((float) k)));
    Operand<TFloat32> total = s.withName("objective").math.add(s.math.add(data, prior),
        complexity);
    return new LossTerms(total, data, prior, complexity, expected.macs(), expected.params(),
        weightGradients);
  }

  /**
   * {@link PenaltyKind#L1}: the data loss plus {@code strength * c * K * mean_s theta_s} over all
   * gates ({@code c K} as for the complexity cost, so strengths are of a like scale), no prior.
   */
  private LossTerms l1Terms(Ops s, NetworkGraph net, Operand<TFloat32> data,
      Map<String, Operand<TFloat32>> theta, Operand<TFloat32> strength) {
    PruneOps prune = PruneOps.create(s);
    Operand<TFloat32> sum = s.constant(0f);
    for (GateGroup g : net.gateGroups()) {
      sum = s.math.add(sum, prune.complexity.expectedWidth(theta.get(g.name())));
    }
    // the mean over the gates of the spec training started from: a rebuilt graph keeps its
    // objective
    long gates = 0;
    for (GateGroup g : (reference != null ? reference : net.spec()).gateGroups()) {
      gates += g.size();
    }
    Operand<TFloat32> penalty = s.math.mul(sum, s.math.mul(strength,
        s.constant((float) (PRESSURE_SCALE * COMPLEXITY_WEIGHT / Math.max(1, gates)))));
    LayerCost<Operand<TFloat32>> expected = prune.complexity.expected(net.spec(),
        g -> prune.complexity.expectedWidth(theta.get(g)));
    return new LossTerms(s.withName("objective").math.add(data, penalty), data, s.constant(0f),
        penalty, expected.macs(), expected.params(), Map.of());
  }
}
