package org.tfprune.build;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tfprune.op.GateMode;
import org.tfprune.op.PruneOps;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.Conv2DLayer;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.FlattenLayer;
import org.tfprune.spec.GlobalAvgPoolLayer;
import org.tfprune.spec.PadLayer;
import org.tfprune.spec.PoolLayer;
import org.tfprune.spec.ResidualBlock;
import org.tfprune.spec.GateGroup;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.LayerSpec;

/**
 * A network built into a graph by {@link NetworkBuilder}: its input placeholder, its variables
 * (kernels, biases, gate probabilities {@code theta} and frozen-gate masks) and forward passes in
 * any {@link GateMode}. Variables are set from host values through placeholders, so the graph
 * never embeds weights as constants.
 */
public final class NetworkGraph {
  /** Name of the mask variable of a gate group: 1 = may live, 0 = pruned for good. */
  public static final String MASK = "mask";

  private final Ops tf;
  private final ArchitectureSpec spec;
  private final boolean gated;
  private final Placeholder<TFloat32> input;
  private final Operand<TInt32> batchSize;
  private final ImmutableMap<String, Variable<TFloat32>> variables;
  private final ImmutableMap<String, Placeholder<TFloat32>> feeds;
  private final ImmutableMap<String, Op> assigns;
  private final boolean preselected;
  private final Map<String, Operand<TFloat32>> effectiveThetas = new LinkedHashMap<>();
  private final GateSampling sampling;

  NetworkGraph(Ops tf, ArchitectureSpec spec, boolean gated, Placeholder<TFloat32> input,
      Map<String, Variable<TFloat32>> variables, Map<String, Placeholder<TFloat32>> feeds,
      Map<String, Op> assigns, long seed, boolean preselected) {
    this.tf = tf;
    this.preselected = preselected;
    this.spec = spec;
    this.gated = gated;
    this.input = input;
    this.variables = ImmutableMap.copyOf(variables);
    this.feeds = ImmutableMap.copyOf(feeds);
    this.assigns = ImmutableMap.copyOf(assigns);
    this.batchSize = tf.withSubScope("batch_size").slice(tf.shape(input), tf.constant(new int[] {0}),
        tf.constant(new int[] {1}));
    this.sampling = gated ? new GateSampling(tf, spec, batchSize, seed) : null;
  }

  public ArchitectureSpec spec() {
    return spec;
  }

  /**
   * The {@code [2]} int64 key of the gate samples of every sampled pass. Feed it (e.g. {@code
   * (seed, step)}) to make sampling a function of the key; unfed, a fresh key is drawn per run.
   */
  public Operand<TInt64> gateKey() {
    checkArgument(gated, "spec %s was built without gates", spec.name());
    return sampling.key();
  }

  /**
   * The draws behind each gate group's samples in {@link GateMode#SAMPLED} passes, negated
   * ({@code -u} for uniform {@code u} in [0, 1): the sample is {@code 1[theta - u > 0]}, and the
   * graph adds theta without negating a {@code [batch, n]} tensor first): {@code [batch, n]} for
   * unit and filter gates (one gate per example), {@code [n]} for input gates (one per batch).
   * Unfed, they are drawn in the graph from {@link #gateKey}; a trainer can feed host-drawn
   * values instead (cheaper, and reproducible from a seed and a step number).
   */
  public ImmutableMap<String, Operand<TFloat32>> negatedGateUniforms() {
    return gated ? sampling.negatedUniforms() : ImmutableMap.of();
  }

  /** Whether this graph holds gate variables (theta and masks). */
  public boolean gated() {
    return gated;
  }

  /**
   * Whether the input placeholder takes only the features the spec reads ({@code [batch,
   * input().width()]}) rather than the full input.
   */
  public boolean preselected() {
    return preselected;
  }

  /** The input placeholder, {@code [batch, shape...]} (or {@code [batch, width]} preselected). */
  public Placeholder<TFloat32> input() {
    return input;
  }

  /** A variable by name, e.g. {@code dense0/kernel}, {@code dense0/theta}, {@code dense0/mask}. */
  public Variable<TFloat32> variable(String name) {
    Variable<TFloat32> v = variables.get(name);
    checkArgument(v != null, "graph has no variable '%s'; known: %s", name, variables.keySet());
    return v;
  }

  /** Kernels, biases and batch-norm scales and offsets: what the weight optimizer trains. */
  public List<Variable<TFloat32>> weights() {
    return weightKeys().stream().map(variables::get).toList();
  }

  /** Whether any layer of the network is batch-normalized (has moving statistics). */
  public boolean hasBatchNorm() {
    return variables.keySet().stream()
        .anyMatch(k -> ParameterSet.MOVING_MEAN.equals(ParameterSet.kindOf(k)));
  }

  /**
   * The parameter keys of {@link #weights()}, in the same order. A key ({@code dense0/kernel})
   * can differ from its variable's op name when the graph already held an op of that name.
   */
  public List<String> weightKeys() {
    return variables.keySet().stream()
        .filter(k -> ParameterSet.TRAINABLE_KINDS.contains(ParameterSet.kindOf(k))).toList();
  }

  /** Names of the parameter variables (weights and theta, not masks), in creation order. */
  public ImmutableList<String> parameterNames() {
    return variables.keySet().stream().filter(k -> !k.endsWith("/" + MASK))
        .collect(ImmutableList.toImmutableList());
  }

  /** Gate probabilities of a group. */
  public Variable<TFloat32> theta(String group) {
    return variable(ParameterSet.key(group, ParameterSet.THETA));
  }

  /** Frozen-gate mask of a group. */
  public Variable<TFloat32> mask(String group) {
    return variable(ParameterSet.key(group, MASK));
  }

  /** The effective keep probability {@code theta * mask} of a group. */
  public Operand<TFloat32> effectiveTheta(String group) {
    return effectiveThetas.computeIfAbsent(group, g -> tf.withSubScope("effective_theta")
        .withName(g.replace('/', '_')).math.mul(theta(g), mask(g)));
  }

  /**
   * Builds a forward pass; batch norm uses batch statistics in {@link GateMode#SAMPLED} mode and
   * moving statistics otherwise. See {@link #forward(GateMode, boolean, String)}.
   */
  public ForwardPass forward(GateMode mode, String scope) {
    return forward(mode, mode == GateMode.SAMPLED, scope);
  }

  /**
   * Builds a forward pass. In {@link GateMode#SAMPLED} mode unit and filter gates are drawn per
   * example and input-feature gates once per batch (they scale the first kernel's rows, which
   * costs nothing extra in the backward pass); {@link GateMode#DETERMINISTIC} uses
   * {@code theta >= 0.5}; {@link GateMode#NONE} ignores gates.
   *
   * @param training batch norm normalizes with batch statistics and returns moving-average
   *     updates (true), or uses the moving statistics (false)
   * @param scope a sub-scope name for this pass's ops, so several passes can share one graph
   */
  public ForwardPass forward(GateMode mode, boolean training, String scope) {
    return forward(mode, training, scope, false);
  }

  /**
   * As {@link #forward(GateMode, boolean, String)}; with {@code gateFeatures}, a {@link
   * GateMode#SAMPLED} pass multiplies the input features by their gates instead of the first
   * kernel's rows (the same values) and passes no gradient to the input gates' theta; a trainer
   * forms it and the first kernel's gradient with {@link InputGateGradient} from the {@link
   * ForwardPass#inputGate() tap}, which spares the step the gated kernel's passes.
   */
  public ForwardPass forward(GateMode mode, boolean training, String scope,
      boolean gateFeatures) {
    return forward(mode, training, training, scope, gateFeatures);
  }

  /**
   * As {@link #forward(GateMode, boolean, String, boolean)}, with what batch norm normalizes by
   * chosen apart from {@code training}: a training pass with {@code batchStatistics} false
   * normalizes by the moving statistics and leaves them as they are, so it computes the serving
   * network (its ops avoid kernels whose gradients are unsafe, as any training pass's).
   */
  public ForwardPass forward(GateMode mode, boolean training, boolean batchStatistics,
      String scope, boolean gateFeatures) {
    checkArgument(training || !batchStatistics,
        "a pass that is not trained has no batch statistics to update (scope %s)", scope);
    checkArgument(mode == GateMode.NONE || gated,
        "gate mode %s needs a graph built with gates; spec %s was built without", mode,
        spec.name());
    Ops s = tf.withSubScope(scope);
    PruneOps p = PruneOps.create(s);
    Map<String, Operand<TFloat32>> gateValues = new LinkedHashMap<>();
    Map<String, Operand<TFloat32>> offsets = new LinkedHashMap<>();
    List<Op> updates = new ArrayList<>();
    Operand<TFloat32> x = input;
    InputSpec in = spec.input();
    if (in.shape().size() > 1 && spec.layers().get(0) instanceof DenseLayer) {
      x = s.reshape(x, s.constant(new int[] {-1, in.size()}));
    }
    // Selected features are gathered as rows of the transposed input, which TensorFlow's CPU
    // gather copies in whole rows (a column gather copies one float at a time and costs more than
    // the MACs it saves); the first layer then multiplies with transposeA.
    // A serving graph reads features in few runs (one, when the exporter widened them to their
    // span, see InputSpan) by slices and no gather (InputRuns).
    boolean transposed = false;
    if (in.selects() && !preselected && !gated
        && InputRuns.of(in.readFeatures()).size() <= InputRuns.MAX_RUNS) {
      x = InputRuns.select(s, x, in.readFeatures());
    } else if (in.selects() && !preselected) {
      x = s.gather(s.linalg.transpose(x, s.constant(new int[] {1, 0})),
          s.constant(in.readFeatures()), s.constant(0));
      transposed = true;
    }
    Operand<TFloat32> inputGate = null;
    Operand<TFloat32> featureGate = null; // input gates applied to the features themselves
    Operand<TFloat32> ungated = x;
    InputGateTap tap = null;
    if (in.gated() && mode != GateMode.NONE) {
      if (gateFeatures && mode == GateMode.SAMPLED
          && spec.layers().get(0) instanceof DenseLayer) {
        Ops gs = s.withSubScope("input_gate");
        featureGate = p.gates.bernoulliOfNegated(effectiveTheta(InputSpec.GATE_GROUP),
            sampling.negatedUniforms().get(InputSpec.GATE_GROUP));
        gateValues.put(InputSpec.GATE_GROUP, featureGate);
        x = gs.math.mul(x, transposed ? gs.expandDims(featureGate, gs.constant(-1))
            : featureGate);
      } else {
        inputGate = sampling.value(p, InputSpec.GATE_GROUP, effectiveTheta(InputSpec.GATE_GROUP),
            mode, offsets);
        gateValues.put(InputSpec.GATE_GROUP, inputGate);
      }
    }
    int index = 0;
    boolean serving = !gated && !training && mode == GateMode.NONE; // see BatchChannelConv
    boolean pooled = false; // the pooling layer was run with the convolution before it
    for (LayerSpec l : spec.layers()) {
      Ops ls = s.withSubScope(l.name());
      if (pooled) {
        pooled = false;
      } else if (l instanceof DenseLayer d) {
        Operand<TFloat32> kernel = variable(ParameterSet.key(l.name(), ParameterSet.KERNEL));
        if (index == 0 && inputGate != null) {
          kernel = ls.math.mul(kernel, ls.expandDims(inputGate, ls.constant(-1)));
        }
        Operand<TFloat32> product = ls.linalg.matMul(x, kernel,
            MatMul.transposeA(index == 0 && transposed));
        if (index == 0 && featureGate != null) {
          tap = new InputGateTap(ungated, transposed, featureGate, product, kernel);
        }
        Operand<TFloat32> h = ls.nn.biasAdd(product,
            variable(ParameterSet.key(l.name(), ParameterSet.BIAS)));
        x = gate(ls, p, ConvLayerOps.activate(ls, h, d.activation()), l.gated() ? l.name() : null, mode,
            gateValues, offsets);
      } else if (l instanceof Conv2DLayer c && serving
          && BatchChannelConv.applies(c, spec.shapes().get(index))) {
        PoolLayer pool = index + 1 < spec.layers().size()
            && spec.layers().get(index + 1) instanceof PoolLayer pl ? pl : null;
        x = BatchChannelConv.apply(ls, this::variable, c, pool, spec.shapes().get(index),
            spec.shapes().get(index + (pool != null ? 2 : 1)), x, batchSize);
        pooled = pool != null;
      } else if (l instanceof Conv2DLayer c) {
        String group = c.gated() ? c.name() : c.depthwise() ? spec.channelGroupOf(index)
            : spec.gatedStreamOf(c.name());
        x = gate(ls, p, ConvLayerOps.conv(ls, this::variable, c, x, training, batchStatistics, updates), group,
            mode, gateValues, offsets);
      } else if (l instanceof ResidualBlock r) {
        Operand<TFloat32> pre = r.preActivation() == null ? x : ConvLayerOps.preActivate(ls,
            this::variable, r.preActivation(), x, batchStatistics, updates);
        Operand<TFloat32> h = gate(ls, p, ConvLayerOps.conv(ls, this::variable, r.conv1(), pre, training, batchStatistics, updates),
            r.conv1().gated() ? r.conv1().name() : null, mode, gateValues, offsets);
        if (r.depthwise() != null) { // its channel c goes with conv1's filter c
          h = gate(ls, p, ConvLayerOps.conv(ls, this::variable, r.depthwise(), h, training,
              batchStatistics, updates), r.conv1().gated() ? r.conv1().name() : null, mode, gateValues, offsets);
        } else if (r.middle() != null) { // a bottleneck's middle filters: gated on their own
          h = gate(ls, p, ConvLayerOps.conv(ls, this::variable, r.middle(), ConvLayerOps.pad(ls,
              h, r.middlePad()), training, batchStatistics, updates), r.middle().gated() ? r.middle().name()
              : null, mode, gateValues, offsets);
        }
        Operand<TFloat32> f = gate(ls, p, ConvLayerOps.conv(ls, this::variable, r.conv2(), h, training, batchStatistics, updates),
            r.gated() ? r.name() : null, mode, gateValues, offsets);
        Operand<TFloat32> shortcut = r.shortcut() == null ? ConvLayerOps.subsample(ls, x,
            r.shortcutStride()) : ConvLayerOps.conv(ls, this::variable, r.shortcut(), pre,
                training, batchStatistics, updates);
        // a coupled stream is gated after the addition and its activation (exact removal)
        x = gate(ls, p, ConvLayerOps.activate(ls, ls.math.add(shortcut, f), r.activation()),
            spec.gatedStreamOf(r.name()), mode, gateValues, offsets);
      } else if (l instanceof PoolLayer pool) {
        x = ConvLayerOps.pool(ls, pool, x);
      } else if (l instanceof FlattenLayer) {
        x = ls.reshape(x, ls.constant(new int[] {-1, spec.shapes().get(index).size()}));
      } else if (l instanceof PadLayer pad) {
        x = ls.pad(x, ls.constant(new int[][] {{0, 0}, {pad.top(), pad.bottom()},
            {pad.left(), pad.right()}, {0, 0}}), ls.constant(0f));
      } else if (l instanceof GlobalAvgPoolLayer) {
        x = ls.math.mean(x, ls.constant(new int[] {1, 2}));
      } else if (l instanceof org.tfprune.spec.FixedLayer f) {
        x = FixedRegionOps.apply(ls, f, x, w -> variable(ParameterSet.key(f.name(), w)));
      } else {
        throw new IllegalArgumentException("no graph rule for layer type " + l.getClass());
      }
      index++;
    }
    return new ForwardPass(x, ImmutableMap.copyOf(gateValues), ImmutableList.copyOf(updates),
        ImmutableMap.copyOf(offsets),
        java.util.Optional.ofNullable(tap));
  }

  /**
   * Multiplies the last axis of {@code h} by the gates of {@code group} (null: no gates). A group
   * met again in the same pass (a stream group) reuses its gate values: one sample per example.
   */
  private Operand<TFloat32> gate(Ops ls, PruneOps p, Operand<TFloat32> h, String group,
      GateMode mode, Map<String, Operand<TFloat32>> gateValues,
      Map<String, Operand<TFloat32>> offsets) {
    if (group == null || mode == GateMode.NONE) {
      return h;
    }
    Operand<TFloat32> z = gateValues.computeIfAbsent(group,
        g -> sampling.value(p, g, effectiveTheta(g), mode, offsets));
    int rank = h.shape().numDimensions();
    if (mode == GateMode.SAMPLED && rank == 4) {
      z = ls.expandDims(ls.expandDims(z, ls.constant(1)), ls.constant(1)); // [B,1,1,C]
    }
    return ls.math.mul(h, z);
  }

  /** Sets variables from host values (any subset, by name). */
  public void assign(Session session, Map<String, HostTensor> values) {
    HostVariables.feedAndAssign(session, values, feeds, assigns);
  }

  /**
   * Sets every parameter from {@code params} and every mask to 1 (or to the entries of
   * {@code params} named {@code group/mask}, when present).
   */
  public void initialize(Session session, ParameterSet params) {
    assign(session, HostVariables.initialValues(variables, params, "/" + MASK));
  }

  /** Reads variables back to the host. */
  public ParameterSet read(Session session, List<String> names) {
    Map<String, Variable<TFloat32>> vars = new LinkedHashMap<>();
    names.forEach(n -> vars.put(n, variable(n)));
    return new ParameterSet(HostVariables.fetch(session, vars));
  }

  /** Reads every parameter (weights and theta, not masks). */
  public ParameterSet readParameters(Session session) {
    return read(session, parameterNames());
  }

  /** Gate groups of the spec (empty if the graph was built without gates). */
  public List<GateGroup> gateGroups() {
    return gated ? spec.gateGroups() : List.of();
  }
}
