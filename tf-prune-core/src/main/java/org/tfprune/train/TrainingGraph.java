package org.tfprune.train;

import com.google.common.collect.ImmutableMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GraphOptions;
import org.tensorflow.proto.RewriterConfig;
import org.tensorflow.types.TFloat32;
import org.tfprune.build.ForwardPass;
import org.tfprune.build.HostVariables;
import org.tfprune.build.NetworkBuilder;
import org.tfprune.build.NetworkGraph;
import org.tfprune.loss.ComplexityAwareLoss;
import org.tfprune.loss.LossTerms;
import org.tfprune.loss.StructureNorms;
import org.tfprune.loss.TensorCache;
import org.tfprune.op.GateMode;
import org.tfprune.op.PruneOps;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.GateGroup;

/**
 * The training graph of the current structure and its session: the network, the steps of each
 * phase, the objective's cached terms and the evaluation op, with the state moved in and out.
 */
final class TrainingGraph implements AutoCloseable {
  private final Graph graph;
  private final Session session;
  private final boolean gated;
  private final NetworkGraph net;
  private final Placeholder<TFloat32> labels;
  private final Placeholder<TFloat32> learningRate;
  private final LossTerms terms;
  /** The warm-up steps' objective (batch statistics; {@link #terms} unless they are frozen). */
  private final LossTerms warmupTerms;
  private final Op pruneStep;
  /** The pruning step without the theta update, for the warm-up epochs. */
  private Op warmupStep;
  private Op finetuneStep;
  private Operand<TFloat32> finetuneLoss;
  private Operand<TFloat32> finetuneData;
  private final Op refreshPriorCache;
  /** Runs after {@link #refreshPriorCache}: the theta gradient of the prior and complexity. */
  private final Op refreshThetaGradients;
  private final List<Op> thetaRefresh = new ArrayList<>();
  private final Operand<TFloat32> correct;
  private final Map<String, Operand<TFloat32>> norms = new LinkedHashMap<>();
  private final List<WeightOptimizer> optimizers = new ArrayList<>();
  private final PriorCache priorCache = new PriorCache();
  private final InputFeed input;
  private final GateDraws.Source gateDraws;
  /** The carried squared norms of removed weights, per gate group (see {@link CarriedNorms}). */
  private final HostVariables carried = new HostVariables();
  /** The strength the objective reads (a budget controller changes it between steps). */
  private final HostVariables strength = new HostVariables();
  private static final String STRENGTH = "strength";
  private final long trainingExamples;

  /** Builds the graph of {@code state}'s structure in {@code graph}. */
  private TrainingGraph(Graph graph, Session session, TrainerConfig config, TrainingState state,
      long trainingExamples) {
    this.graph = graph;
    this.session = session;
    this.trainingExamples = trainingExamples;
    ArchitectureSpec spec = state.spec();
    this.gated = config.gated();
    Ops tf = Ops.create(graph);
    // a network that reads a subset of the input is fed just that subset, selected on the host
    this.net = NetworkBuilder.build(tf, spec, gated, config.seed(), true);
    this.input = new InputFeed(spec.input(),
        net.preselected() ? spec.input().readFeatures() : null);
    labels = tf.withName("labels").placeholder(TFloat32.class,
        Placeholder.shape(Shape.of(-1, spec.numClasses())));
    learningRate = tf.withName("learning_rate").placeholder(TFloat32.class,
        Placeholder.shape(Shape.scalar()));
    // frozen statistics: the pruning and fine-tuning steps normalize by the moving statistics;
    // the warm-up steps (theta not learned yet) by the batch's, and keep the moving ones current
    boolean frozen = gated && net.hasBatchNorm()
        && config.batchNormStatistics() == TrainerConfig.BatchNormStatistics.FROZEN_AFTER_WARMUP;
    ForwardPass trainPass = net.forward(gated ? GateMode.SAMPLED : GateMode.NONE, true, !frozen,
        "train", true);
    ForwardPass warmupPass = frozen && config.warmupEpochs() > 0
        ? net.forward(GateMode.SAMPLED, true, true, "warmup", true) : trainPass;
    ForwardPass evalPass = net.forward(gated ? GateMode.DETERMINISTIC : GateMode.NONE, false,
        "eval");
    // the objective refers to the spec training started from, so a rebuild does not change it
    Map<String, Operand<TFloat32>> carriedNorms = new LinkedHashMap<>();
    Ops cv = tf.withSubScope("carried_norms");
    CarriedNorms.of(state.carriedNorms()).squaredNorms().forEach((g, values) -> {
      Variable<TFloat32> v = cv.withName(g).variable(Shape.of(values.length), TFloat32.class);
      carried.add(cv, g, g, v);
      carriedNorms.put(g, v);
    });
    Variable<TFloat32> strengthVariable = tf.withName(STRENGTH).variable(Shape.scalar(),
        TFloat32.class);
    strength.add(tf, STRENGTH, STRENGTH, strengthVariable);
    ComplexityAwareLoss loss = new ComplexityAwareLoss(config.knobs(), trainingExamples,
        state.initialSpec()).withCarriedNormOperands(carriedNorms);
    List<Op> refresh = new ArrayList<>();
    // gradient-free parts of the prior, refreshed every normRefreshEvery steps
    TensorCache cache = priorCache.refreshedBy(tf, refresh);
    if (gated) {
      norms.putAll(StructureNorms.squaredNorms(tf.withSubScope("norms"), net,
          carriedNorms));
    }
    terms = gated ? loss.call(tf, net, trainPass.logits(), labels,
        ComplexityAwareLoss.effectiveThetas(net), strengthVariable, cache)
        : loss.call(tf, net, trainPass.logits(), labels, Map.of(), 0);
    warmupTerms = warmupPass == trainPass ? terms : terms.withData(tf.withSubScope("warmup_loss"),
        ComplexityAwareLoss.dataLoss(tf.withSubScope("warmup_loss"), warmupPass.logits(),
            labels));
    StepOps steps = new StepOps(graph, tf, net, config, learningRate,
        priorCache.refreshedBy(tf, thetaRefresh), optimizers, state.initialSpec(),
        trainingExamples);
    pruneStep = steps.build(terms, gated, trainPass, "prune_step");
    if (gated && config.warmupEpochs() > 0) {
      // the same sampled pass and objective; all theta start at 1, so every gate is open
      warmupStep = steps.build(warmupTerms, false, warmupPass, "warmup_step");
    }
    if (gated && config.finetuneEpochs() > 0) {
      PruneOps prune = PruneOps.create(tf.withSubScope("finetune_gates"));
      Map<String, Operand<TFloat32>> hard = new LinkedHashMap<>();
      for (GateGroup g : spec.gateGroups()) {
        hard.put(g.name(), prune.gates.deterministic(net.effectiveTheta(g.name())));
      }
      ForwardPass finetunePass = net.forward(GateMode.DETERMINISTIC, true, !frozen, "finetune",
          false);
      LossTerms ft = loss.call(tf.withSubScope("finetune"), net, finetunePass.logits(), labels,
          hard, 0, cache);
      finetuneLoss = ft.total();
      finetuneData = ft.data();
      finetuneStep = steps.build(ft, false, finetunePass, "finetune_step");
    }
    refreshPriorCache = tf.withControlDependencies(refresh).withName("refresh_prior_cache")
        .noOp();
    refreshThetaGradients = tf.withControlDependencies(thetaRefresh)
        .withName("refresh_theta_gradients").noOp();
    Ops e = tf.withSubScope("accuracy");
    correct = e.reduceSum(e.dtypes.cast(e.math.equal(
        e.math.argMax(evalPass.logits(), e.constant(1)),
        e.math.argMax(labels, e.constant(1))), TFloat32.class), e.constant(0));
    gateDraws = new GateDraws.Source(net.negatedGateUniforms(), config.seed());
  }

  /** The training graph of {@code state}'s structure in a new session. */
  static TrainingGraph of(TrainerConfig config, TrainingState state, long trainingExamples) {
    Graph graph = new Graph();
    Session session = null;
    try {
      session = newSession(graph, config.threads());
      return new TrainingGraph(graph, session, config, state, trainingExamples);
    } catch (RuntimeException | Error e) {
      if (session != null) {
        session.close();
      }
      graph.close();
      throw e;
    }
  }

  private static Session newSession(Graph graph, int threads) {
    // Grappler's dependency optimizer fails to sort the training graph (its control edges keep
    // every update after every gradient) and logs an error each time; the graph runs the same
    // without it.
    ConfigProto.Builder c = ConfigProto.newBuilder().setGraphOptions(GraphOptions.newBuilder()
        .setRewriteOptions(RewriterConfig.newBuilder()
            .setDependencyOptimization(RewriterConfig.Toggle.OFF)));
    if (threads > 0) {
      c.setIntraOpParallelismThreads(threads).setInterOpParallelismThreads(threads);
    }
    return new Session(graph, c.build());
  }

  /** N, the size of the training set the objective is per example of. */
  long trainingExamples() {
    return trainingExamples;
  }

  Session session() {
    return session;
  }

  NetworkGraph net() {
    return net;
  }

  Placeholder<TFloat32> labels() {
    return labels;
  }

  Placeholder<TFloat32> learningRate() {
    return learningRate;
  }

  GateDraws.Source gateDraws() {
    return gateDraws;
  }

  /** The step of a fine-tuning, warm-up or (neither) pruning epoch. */
  Op step(boolean finetune, boolean warmup) {
    return finetune ? finetuneStep : warmup ? warmupStep : pruneStep;
  }

  /** The full objective of the phase's step (a report). */
  Operand<TFloat32> objective(boolean finetune, boolean warmup) {
    return finetune ? finetuneLoss : warmup ? warmupTerms.total() : terms.total();
  }

  /** The data loss of the phase's step. */
  Operand<TFloat32> dataLoss(boolean finetune, boolean warmup) {
    return finetune ? finetuneData : warmup ? warmupTerms.data() : terms.data();
  }

  /** Per gate group, the op computing the squared norm of each structure's weights. */
  Map<String, Operand<TFloat32>> norms() {
    return norms;
  }

  /** Recomputes the cached terms of the objective (and then theta's regulariser gradient). */
  void refreshCaches() {
    session.run(refreshPriorCache);
    session.run(refreshThetaGradients);
  }

  /** Sets the carried squared norms of removed weights (per gate group of the graph). */
  void setCarriedNorms(Map<String, float[]> norms) {
    if (carried.keys().isEmpty()) {
      return;
    }
    Map<String, HostTensor> values = new LinkedHashMap<>();
    norms.forEach((g, v) -> {
      if (carried.keys().contains(g)) {
        values.put(g, new HostTensor(new long[] {v.length}, v));
      }
    });
    carried.assign(session, values);
  }

  /** Sets the strength the objective reads. */
  void setStrength(double value) {
    strength.assign(session, Map.of(STRENGTH, new HostTensor(new long[0],
        new float[] {(float) value})));
  }

  /** Sets the graph's variables to {@code state}'s ({@code masks} for the gates'). */
  void loadParameters(TrainingState state, Map<String, float[]> masks) {
    Map<String, HostTensor> values = new LinkedHashMap<>(state.parameters().asMap());
    masks.forEach((g, m) -> values.put(ParameterSet.key(g, NetworkGraph.MASK),
        new HostTensor(new long[] {m.length}, m)));
    net.initialize(session, new ParameterSet(values));
  }

  /** Sets the optimizers' state and the prior's cached terms to {@code state}'s. */
  void loadOptimizersAndCaches(TrainingState state) {
    for (WeightOptimizer o : optimizers) {
      Map<String, HostTensor> saved = state.optimizers().get(o.name());
      if (saved == null) {
        o.initialize(session);
      } else {
        o.restoreState(session, saved);
      }
    }
    if (state.priorCache().isEmpty()) {
      if (gated) {
        refreshCaches();
      }
    } else {
      priorCache.restore(session, state.priorCache());
    }
  }

  /** Optimizer state by optimizer name, then by slot name. */
  ImmutableMap<String, ImmutableMap<String, HostTensor>> readOptimizers() {
    ImmutableMap.Builder<String, ImmutableMap<String, HostTensor>> opts = ImmutableMap.builder();
    optimizers.forEach(o -> opts.put(o.name(), ImmutableMap.copyOf(o.readState(session))));
    return opts.build();
  }

  ImmutableMap<String, HostTensor> readPriorCache() {
    return priorCache.read(session);
  }

  ParameterSet readParameters() {
    return net.readParameters(session);
  }

  /** Theta per gate group of the graph. */
  Map<String, float[]> readThetas() {
    if (net.gateGroups().isEmpty()) {
      return new LinkedHashMap<>(); // a rebuild removed every gated structure
    }
    List<String> names = net.gateGroups().stream()
        .map(g -> ParameterSet.key(g.name(), ParameterSet.THETA)).toList();
    Map<String, float[]> m = new LinkedHashMap<>();
    net.read(session, names).asMap().forEach((k, v) -> m.put(k.substring(0, k.indexOf('/')),
        v.values()));
    return m;
  }

  /** How batches are fed to the graph's input. */
  InputFeed input() {
    return input;
  }

  /** Accuracy of the deterministic network on {@code test}, in batches of {@code evalBatch}. */
  double accuracy(TrainingData test, int evalBatch) {
    int n = test.size();
    int eb = Math.min(evalBatch, n);
    float[] x = new float[eb * input.fedFeatures(test)];
    float[] y = new float[eb * test.numClasses()];
    double hits = 0;
    for (int start = 0; start < n; start += eb) {
      int len = Math.min(eb, n - start);
      int[] idx = new int[len];
      for (int i = 0; i < len; i++) {
        idx[i] = start + i;
      }
      float[] xb = len == eb ? x : new float[len * input.fedFeatures(test)];
      float[] yb = len == eb ? y : new float[len * test.numClasses()];
      input.fill(test, idx, xb, yb);
      try (TFloat32 xt = TFloat32.tensorOf(Shape.of(input.shape(len)),
              DataBuffers.of(xb, true, false));
          TFloat32 yt = TFloat32.tensorOf(Shape.of(len, test.numClasses()),
              DataBuffers.of(yb, true, false));
          Result r = session.runner().feed(net.input(), xt).feed(labels, yt).fetch(correct)
              .run()) {
        hits += ((TFloat32) r.get(0)).getFloat();
      }
    }
    return hits / n;
  }

  /** Closes the gate draws, the session and the graph. */
  @Override
  public void close() {
    try {
      gateDraws.close();
    } finally {
      try {
        session.close();
      } finally {
        graph.close();
      }
    }
  }
}
