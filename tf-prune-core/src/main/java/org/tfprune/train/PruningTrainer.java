package org.tfprune.train;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.nio.file.Files;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
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
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;
import org.tfprune.build.ForwardPass;
import org.tfprune.build.HostVariables;
import org.tfprune.build.InputGateGradient;
import org.tfprune.build.InputGateTap;
import org.tfprune.build.NetworkBuilder;
import org.tfprune.build.NetworkGraph;
import org.tfprune.build.ParameterInitializer;
import org.tfprune.complexity.ComplexityCounter;
import org.tfprune.complexity.Complexity;
import org.tfprune.complexity.CostAlgebra;
import org.tfprune.complexity.CostModel;
import org.tfprune.complexity.LayerCost;
import org.tfprune.loss.ComplexityAwareLoss;
import org.tfprune.loss.LossTerms;
import org.tfprune.loss.PriorScales;
import org.tfprune.loss.StructureWeights;
import org.tfprune.loss.TensorCache;
import org.tfprune.op.GateMode;
import org.tfprune.op.PruneOps;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.slice.WeightSlicer;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.GateGroup;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.KeepMask;
import org.tfprune.spec.LayerSpec;
import org.tfprune.spec.ResidualBlock;

/**
 * Trains a network and prunes it at the same time. The loop is fixed: sample gates, take one step
 * on the complexity-aware objective (the configured optimizer on the weights, projected SGD on
 * theta), and every {@code pruneCheckEvery} steps apply the {@link PruningCondition} and freeze
 * what it prunes. An optional last phase trains only the weights with deterministic gates. With
 * {@code gated = false} the same trainer produces the dense baseline.
 */
public final class PruningTrainer {
  /** Steps between two fetches of the full objective (a report; the data loss is every step). */
  static final int OBJECTIVE_EVERY = 10;

  private final TrainerConfig config;
  private final TrainingListener listener;

  public PruningTrainer(TrainerConfig config, TrainingListener listener) {
    this.config = config;
    this.listener = listener == null ? TrainingListener.NONE : listener;
  }

  /** Trains {@code spec} from freshly initialized parameters (seeded). */
  public TrainingResult train(ArchitectureSpec spec, TrainingData train, TrainingData test) {
    ArchitectureSpec s = config.gated() ? spec : spec.withoutGates();
    return train(s, ParameterInitializer.initialize(s, config.seed(), config.thetaInit()), train,
        test);
  }

  /**
   * Trains {@code spec} starting from {@code initial} parameters. With a {@link CheckpointPolicy}
   * whose file exists and {@code resume} set, continues the saved run instead (a finished one
   * returns its result at once).
   */
  public TrainingResult train(ArchitectureSpec spec, ParameterSet initial, TrainingData train,
      TrainingData test) {
    checkData(spec, train, "training");
    checkData(spec, test, "evaluation");
    checkArgument(train.size() >= config.batchSize(),
        "the training set has %s examples, fewer than one batch of %s: lower --batch-size",
        train.size(), config.batchSize());
    checkArgument(!config.gated() || spec.hasGates(),
        "spec %s has no gates; build it with gated layers or train with gated = false",
        spec.name());
    CheckpointPolicy policy = config.checkpoint();
    Checkpoint.RunKey key = Checkpoint.RunKey.of(spec, config, train.size());
    TrainingState state;
    if (policy != null && policy.resume() && Files.exists(policy.file())) {
      state = Checkpoint.read(policy.file(), key, spec);
      TrainingState.Progress p = state.progress();
      listener.onResume(p.epoch(), p.step(), p.globalStep());
    } else {
      state = initialState(spec, initial);
    }
    try (CheckpointWriter writer = policy == null ? null : new CheckpointWriter(policy, key)) {
      while (!state.progress().complete()) {
        Run run;
        try (Graph graph = new Graph(); Session session = newSession(graph)) {
          run = new Run(graph, session, state, train, test, writer);
          try {
            state = run.execute();
          } finally {
            run.gateDraws.close();
          }
        }
        if (run.rebuildRequested) {
          double before = ComplexityCounter.count(state.spec()).macs();
          state = state.withoutFrozen();
          TrainingState.Progress p = state.progress();
          listener.onRebuild(p.epoch(), p.step(), before,
              ComplexityCounter.count(state.spec()).macs());
        }
      }
    }
    return result(state);
  }

  /**
   * Loads {@code state} into a fresh training graph and reads it straight back: what a rebuild or
   * a resume starts from (for tests).
   */
  TrainingState roundTrip(TrainingState state, TrainingData train, TrainingData test) {
    try (Graph graph = new Graph(); Session session = newSession(graph)) {
      Run run = new Run(graph, session, state, train, test, null);
      run.load();
      return run.snapshot(state.progress());
    }
  }

  private TrainingState initialState(ArchitectureSpec spec, ParameterSet initial) {
    ImmutableMap.Builder<String, long[]> shapes = ImmutableMap.builder();
    initial.asMap().forEach((k, v) -> shapes.put(k, v.shape()));
    ImmutableMap.Builder<String, float[]> masks = ImmutableMap.builder();
    ImmutableMap.Builder<String, int[]> checks = ImmutableMap.builder();
    if (config.gated()) {
      for (GateGroup g : spec.gateGroups()) {
        float[] ones = new float[g.size()];
        Arrays.fill(ones, 1f);
        masks.put(g.name(), ones);
        checks.put(g.name(), new int[g.size()]);
      }
    }
    return new TrainingState(spec, shapes.build(), config.gated() ? KeepMask.all(spec) : null,
        initial, masks.build(), checks.build(), ImmutableMap.of(), ImmutableMap.of(),
        TrainingState.Progress.start(), ImmutableMap.of());
  }

  /**
   * The result in terms of the spec training started from: parameters back at their full shapes
   * (zeros where structures were removed during training) and the keep-mask relative to it.
   */
  private TrainingResult result(TrainingState s) {
    TrainingState.Progress p = s.progress();
    double binary = config.gated() ? p.binaryAtEndOfPruning() : 1.0;
    if (s.inGraph() == null) {
      return new TrainingResult(s.initialSpec(), s.parameters(), KeepMask.all(s.initialSpec()),
          p.history(), binary, p.trainSeconds());
    }
    KeepMask last = KeepMask.fromTheta(s.parameters().thetas());
    KeepMask keep = KeepMask.compose(s.initialSpec(), s.inGraph(), last);
    ParameterSet full = s.inGraph().removed() == 0 ? s.parameters()
        : WeightSlicer.expand(s.initialSpec(), s.parameters(), s.inGraph(), s.initialShapes());
    return new TrainingResult(s.initialSpec(), full, keep, p.history(), binary,
        p.trainSeconds());
  }

  private Session newSession(Graph graph) {
    // Grappler's dependency optimizer fails to sort the training graph (its control edges keep
    // every update after every gradient) and logs an error each time; the graph runs the same
    // without it.
    ConfigProto.Builder c = ConfigProto.newBuilder().setGraphOptions(GraphOptions.newBuilder()
        .setRewriteOptions(RewriterConfig.newBuilder()
            .setDependencyOptimization(RewriterConfig.Toggle.OFF)));
    if (config.threads() > 0) {
      c.setIntraOpParallelismThreads(config.threads())
          .setInterOpParallelismThreads(config.threads());
    }
    return new Session(graph, c.build());
  }


  private static void checkData(ArchitectureSpec spec, TrainingData data, String role) {
    checkArgument(data.size() > 0, "the %s set is empty", role);
    checkArgument(data.featureSize() == spec.input().size(),
        "the %s data has %s values per example but network %s expects input shape %s (%s "
            + "values): pick the model that matches the data set", role, data.featureSize(),
        spec.name(), spec.input().shape(), spec.input().size());
    checkArgument(data.numClasses() == spec.numClasses(),
        "the %s data has %s classes but network %s has %s outputs", role, data.numClasses(),
        spec.name(), spec.numClasses());
  }

  /**
   * One training graph and its session: runs the schedule from a {@link TrainingState} until the
   * run ends or the graph should be rebuilt smaller, and returns the state it reached.
   */
  private final class Run {
    private final Graph graph;
    private final Session session;
    private final TrainingState start;
    private final ArchitectureSpec spec;
    private final ArchitectureSpec initialSpec;
    private final TrainingData train;
    private final TrainingData test;
    private final CheckpointWriter writer;
    private final boolean gated;
    private final Ops tf;
    private final NetworkGraph net;
    private final Placeholder<TFloat32> labels;
    private final Placeholder<TFloat32> learningRate;
    private final LossTerms terms;
    private final Op pruneStep;
    private final Op refreshPriorCache;
    /** Runs after {@link #refreshPriorCache}: the theta gradient of the prior and complexity. */
    private final Op refreshThetaGradients;
    private final List<Op> thetaRefresh = new ArrayList<>();
    private Op finetuneStep;
    /** The pruning step without the theta update, for the warm-up epochs. */
    private Op warmupStep;
    private Operand<TFloat32> finetuneLoss;
    private Operand<TFloat32> finetuneData;
    private final Operand<TFloat32> correct;
    private final Map<String, Operand<TFloat32>> norms = new LinkedHashMap<>();
    private final Map<String, int[]> zeroChecks = new LinkedHashMap<>();
    private final Map<String, float[]> masks = new LinkedHashMap<>();
    private final List<WeightOptimizer> optimizers = new ArrayList<>();
    private final HostVariables cacheVariables = new HostVariables();
    private final Complexity dense;
    private final double trainingMacs;
    private final Set<String> bypassable = new HashSet<>();
    private boolean rebuildRequested;
    private final int[] selected;
    private final GateDraws.Source gateDraws;

    Run(Graph graph, Session session, TrainingState state, TrainingData train, TrainingData test,
        CheckpointWriter writer) {
      this.graph = graph;
      this.session = session;
      this.start = state;
      this.spec = state.spec();
      this.initialSpec = state.initialSpec();
      this.train = train;
      this.test = test;
      this.writer = writer;
      this.gated = config.gated();
      this.tf = Ops.create(graph);
      // a network that reads a subset of the input is fed just that subset, selected on the host
      this.net = NetworkBuilder.build(tf, spec, gated, config.seed(), true);
      this.selected = net.preselected() ? spec.input().readFeatures() : null;
      this.dense = ComplexityCounter.count(initialSpec);
      this.trainingMacs = ComplexityCounter.count(spec).macs();
      labels = tf.withName("labels").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, spec.numClasses())));
      learningRate = tf.withName("learning_rate").placeholder(TFloat32.class,
          Placeholder.shape(Shape.scalar()));
      ForwardPass trainPass = net.forward(gated ? GateMode.SAMPLED : GateMode.NONE, true,
          "train", true);
      ForwardPass evalPass = net.forward(gated ? GateMode.DETERMINISTIC : GateMode.NONE, false,
          "eval");
      // the objective refers to the spec training started from, so a rebuild does not change it
      ComplexityAwareLoss loss = new ComplexityAwareLoss(config.knobs(), train.size(),
          initialSpec).withCarriedNorms(state.carriedNorms());
      List<Op> refresh = new ArrayList<>();
      // gradient-free parts of the prior, refreshed every normRefreshEvery steps
      TensorCache cache = cache(refresh);
      if (gated) {
        norms.putAll(StructureWeights.squaredNorms(tf.withSubScope("norms"), net,
            state.carriedNorms()));
      }
      terms = gated ? loss.call(tf, net, trainPass.logits(), labels,
          ComplexityAwareLoss.effectiveThetas(net), config.knobs().strength(), cache)
          : loss.call(tf, net, trainPass.logits(), labels, Map.of(), 0);
      pruneStep = stepOp(terms, gated, trainPass, "prune_step");
      if (gated && config.warmupEpochs() > 0) {
        // the same sampled pass and objective; all theta start at 1, so every gate is open
        warmupStep = stepOp(terms, false, trainPass, "warmup_step");
      }
      if (gated && config.finetuneEpochs() > 0) {
        PruneOps prune = PruneOps.create(tf.withSubScope("finetune_gates"));
        Map<String, Operand<TFloat32>> hard = new LinkedHashMap<>();
        for (GateGroup g : spec.gateGroups()) {
          hard.put(g.name(), prune.gates.deterministic(net.effectiveTheta(g.name())));
        }
        ForwardPass finetunePass = net.forward(GateMode.DETERMINISTIC, true, "finetune");
        LossTerms ft = loss.call(tf.withSubScope("finetune"), net, finetunePass.logits(), labels,
            hard, 0, cache);
        finetuneLoss = ft.total();
        finetuneData = ft.data();
        finetuneStep = stepOp(ft, false, finetunePass, "finetune_step");
      }
      refreshPriorCache = tf.withControlDependencies(refresh).withName("refresh_prior_cache")
          .noOp();
      refreshThetaGradients = tf.withControlDependencies(thetaRefresh)
          .withName("refresh_theta_gradients").noOp();
      Ops e = tf.withSubScope("accuracy");
      correct = e.reduceSum(e.dtypes.cast(e.math.equal(
          e.math.argMax(evalPass.logits(), e.constant(1)),
          e.math.argMax(labels, e.constant(1))), TFloat32.class), e.constant(0));
      for (GateGroup g : net.gateGroups()) {
        if (g.bypassable()) {
          bypassable.add(g.name());
        }
      }
      gateDraws = new GateDraws.Source(net.negatedGateUniforms(), config.seed());
    }

    /**
     * A cache of variables refreshed by the ops added to {@code refresh}; saved with checkpoints
     * and carried through rebuilds like the rest of the prior cache.
     */
    private TensorCache cache(List<Op> refresh) {
      Ops cacheOps = tf.withSubScope("prior_cache");
      return (name, live) -> {
        String id = name.replace('/', '_') + "_" + cacheVariables.keys().size();
        Variable<TFloat32> v = cacheOps.withName(id).variable(live.shape(), TFloat32.class);
        refresh.add(cacheOps.assign(v, live));
        cacheVariables.add(cacheOps, id, id, v);
        return v;
      };
    }

    /** Recomputes the cached terms of the objective (and then theta's regulariser gradient). */
    private void refreshCaches() {
      session.run(refreshPriorCache);
      session.run(refreshThetaGradients);
    }

    /** Gradient step on the weights (and projected SGD on theta when {@code withTheta}). */
    private Op stepOp(LossTerms objective, boolean withTheta, ForwardPass pass, String name) {
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
      TensorCache thetaCache = cache(thetaRefresh);
      List<Output<TFloat32>> wg = new ArrayList<>();
      Ops sum = tf.withSubScope(name + "_gradients");
      InputGateGradient.Gradients input = tap == null ? null : InputGateGradient.of(sum, tap,
          cast(grads[weights.indexOf(firstKernel)]), net.mask(InputSpec.GATE_GROUP));
      for (int i = 0; i < weights.size(); i++) {
        Operand<TFloat32> analytic = objective.weightGradients().get(
            weights.get(i).op().name());
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
      WeightOptimizer opt = new WeightOptimizer(tf, config.optimizer(), weights, wg, learningRate,
          name + "_optimizer");
      optimizers.add(opt);
      List<Op> done = new ArrayList<>(statUpdates);
      done.add(opt.update());
      if (thetas.isEmpty()) {
        return tf.withSubScope(name).withControlDependencies(done).noOp();
      }
      List<Op> assigns = new ArrayList<>();
      List<GateGroup> groups = net.gateGroups();
      if (config.thetaOptimizer() == TrainerConfig.ThetaOptimizer.ADAM) {
        // Adam steps theta in place, then theta is projected onto [0, 1] (and the mask)
        Ops th = tf.withSubScope(name + "_theta");
        WeightOptimizer thetaOpt = new WeightOptimizer(tf, OptimizerSpec.adam(
            config.thetaLearningRate(), config.thetaLearningRate()), thetas,
            tg.stream().map(Operand::asOutput).toList(),
            th.constant((float) config.thetaLearningRate()), name + "_theta_optimizer");
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
              after.constant((float) config.thetaLearningRate())));
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

    /** Sets every variable of the graph from the state it starts from. */
    private void load() {
      Map<String, HostTensor> values = new LinkedHashMap<>(start.parameters().asMap());
      start.masks().forEach((g, m) -> {
        masks.put(g, m.clone());
        values.put(ParameterSet.key(g, NetworkGraph.MASK), new HostTensor(new long[] {m.length},
            m));
      });
      start.zeroChecks().forEach((g, z) -> zeroChecks.put(g, z.clone()));
      net.initialize(session, new ParameterSet(values));
      if (gated) {
        // writes back what was just loaded: prepares the executor the pruning condition's writes
        // use, so the first structure frozen does not stall a step for milliseconds
        assignGateState(readThetas());
      }
      for (WeightOptimizer o : optimizers) {
        Map<String, HostTensor> saved = start.optimizers().get(o.name());
        if (saved == null) {
          o.initialize(session);
        } else {
          o.restoreState(session, saved);
        }
      }
      if (start.priorCache().isEmpty()) {
        if (gated) {
          refreshCaches();
        }
      } else {
        checkState(start.priorCache().keySet().equals(cacheVariables.keys()),
            "saved prior cache %s does not fit the graph's %s", start.priorCache().keySet(),
            cacheVariables.keys());
        cacheVariables.assign(session, start.priorCache());
      }
    }

    /** Reads the whole state back from the graph, at a position in the schedule. */
    private TrainingState snapshot(TrainingState.Progress progress) {
      ImmutableMap.Builder<String, ImmutableMap<String, HostTensor>> opts = ImmutableMap.builder();
      optimizers.forEach(o -> opts.put(o.name(), ImmutableMap.copyOf(o.readState(session))));
      ImmutableMap<String, HostTensor> cached = ImmutableMap.copyOf(
          cacheVariables.read(session));
      ImmutableMap.Builder<String, float[]> m = ImmutableMap.builder();
      masks.forEach((g, v) -> m.put(g, v.clone()));
      ImmutableMap.Builder<String, int[]> z = ImmutableMap.builder();
      zeroChecks.forEach((g, v) -> z.put(g, v.clone()));
      return new TrainingState(initialSpec, start.initialShapes(), start.inGraph(),
          net.readParameters(session), m.build(), z.build(), opts.build(), cached,
          progress, start.carriedNorms());
    }

    private void save(TrainingState state) {
      if (writer != null) {
        writer.submit(state);
      }
    }

    /**
     * Whether the frozen structures hold enough of this graph's MACs to rebuild it without them
     * ({@code threshold} 0: whenever any is frozen).
     */
    private boolean rebuildDue(double threshold) {
      if (!gated || config.rebuildThreshold() == 0) {
        return false;
      }
      boolean anyFrozen = masks.values().stream().anyMatch(m -> {
        for (float v : m) {
          if (v == 0f) {
            return true;
          }
        }
        return false;
      });
      if (!anyFrozen) {
        return false;
      }
      double after = ComplexityCounter.count(spec.compact(TrainingState.liveOf(masks))).macs();
      return 1 - after / trainingMacs >= threshold;
    }

    TrainingState execute() {
      load();
      TrainingState.Progress p = start.progress();
      int stepsPerEpoch = train.size() / config.batchSize();
      long totalSteps = (long) stepsPerEpoch * config.epochs();
      int b = config.batchSize();
      float[] x = new float[b * fedFeatures(train)];
      float[] y = new float[b * train.numClasses()];
      int[] idx = new int[b];
      long[] xShape = inputShape(b);
      List<EpochStats> history = new ArrayList<>(p.history());
      double binaryAtEndOfPruning = p.binaryAtEndOfPruning();
      boolean finetuneStarted = p.finetuneStarted();
      double trainSeconds = p.trainSeconds();
      long globalStep = p.globalStep();
      int firstStep = p.step();
      // a resumed run takes the rebuild decision its first run took right before saving
      if (rebuildDue(config.rebuildThreshold())) {
        rebuildRequested = true;
        return start;
      }
      for (int epoch = p.epoch(); epoch <= config.epochs(); epoch++, firstStep = 0) {
        boolean finetune = gated && epoch > config.pruningEpochs();
        if (finetune && !finetuneStarted) {
          binaryAtEndOfPruning = binaryOfAll(readThetas());
          roundTheta();
          finetuneStarted = true;
          refreshCaches();
          listener.onFinetuneStart(epoch, binaryAtEndOfPruning);
          if (rebuildDue(0)) {
            // the rounded-off structures never come back: fine-tune the smaller graph
            rebuildRequested = true;
            return snapshot(new TrainingState.Progress(epoch, 0, globalStep, true,
                binaryAtEndOfPruning, trainSeconds, 0, 0, 0, 0, p.rebuilds(),
                ImmutableList.copyOf(history), false));
          }
        }
        Op step = finetune ? finetuneStep
            : gated && epoch <= config.warmupEpochs() ? warmupStep : pruneStep;
        Operand<TFloat32> objective = finetune ? finetuneLoss : terms.total();
        // fine-tuning fetches its own data loss: the sampled pass must not run alongside it
        Operand<TFloat32> dataLoss = finetune ? finetuneData : terms.data();
        int[] order = permutation(train.size(), epochRandom(epoch));
        boolean resumed = firstStep > 0;
        double lossSum = resumed ? p.lossSum() : 0;
        double objSum = resumed ? p.objectiveSum() : 0;
        int objCount = resumed ? p.objectiveCount() : 0;
        double secondsBefore = resumed ? p.epochSeconds() : 0;
        double windowLoss = 0;
        double windowObj = 0;
        int windowObjCount = 0;
        int window = 0;
        long t0 = System.nanoTime();
        for (int s = firstStep; s < stepsPerEpoch; s++) {
          if (gated && globalStep % config.normRefreshEvery() == 0) {
            refreshCaches();
          }
          System.arraycopy(order, s * b, idx, 0, b);
          fill(train, idx, x, y);
          float lr = (float) learningRate(finetune, globalStep, totalSteps, stepsPerEpoch);
          // the full objective is only a report: fetch it every OBJECTIVE_EVERY steps, so the
          // other steps skip the ops that only compute its value
          boolean withObjective = (s + 1) % OBJECTIVE_EVERY == 0 || s + 1 == stepsPerEpoch;
          float[] values;
          try (TFloat32 xt = TFloat32.tensorOf(Shape.of(xShape), DataBuffers.of(x, true, false));
              TFloat32 yt = TFloat32.tensorOf(Shape.of(b, train.numClasses()),
                  DataBuffers.of(y, true, false));
              TFloat32 lrt = TFloat32.scalarOf(lr);
              GateDraws draws = gated && !finetune ? gateDraws.next(globalStep, b)
                  : GateDraws.NONE) {
            Session.Runner runner = session.runner().feed(net.input(), xt).feed(labels, yt)
                .feed(learningRate, lrt).addTarget(step).fetch(dataLoss);
            draws.feedInto(runner);
            if (withObjective) {
              runner.fetch(objective);
            }
            boolean profile = globalStep == StepProfile.STEP;
            if (profile) {
              runner.setOptions(StepProfile.options());
            }
            try (Result r = profile ? runner.runAndFetchMetadata() : runner.run()) {
              values = new float[] {((TFloat32) r.get(0)).getFloat(),
                  withObjective ? ((TFloat32) r.get(1)).getFloat() : Float.NaN};
              if (profile) {
                StepProfile.print(r.getMetadata().orElseThrow(), gated ? "gated" : "dense",
                    System.err);
              }
            }
          }
          globalStep++;
          if (!Float.isFinite(values[0]) || (withObjective && !Float.isFinite(values[1]))) {
            throw new TrainingDivergedException(String.format(
                "the training objective became %s at epoch %d, step %d (cross-entropy %s) with "
                    + "learning rate %.3g: lower the weight learning rate or the strength, and "
                    + "check the input data for NaN or unscaled values", values[1], epoch, s + 1,
                values[0], lr));
          }
          lossSum += values[0];
          windowLoss += values[0];
          window++;
          if (withObjective) {
            objSum += values[1];
            objCount++;
            windowObj += values[1];
            windowObjCount++;
          }
          boolean lastStep = s + 1 == stepsPerEpoch;
          if ((s + 1) % config.pruneCheckEvery() == 0 || lastStep) {
            Map<String, float[]> theta = gated ? readThetas() : Map.of();
            if (gated && !finetune && !theta.isEmpty()) {
              applyPruningCondition(theta);
            }
            listener.onStep(new StepProgress(epoch, config.epochs(), s + 1, stepsPerEpoch,
                windowLoss / window, windowObj / Math.max(1, windowObjCount), liveWidths(theta),
                macsFraction(theta), frozen()));
            windowLoss = 0;
            windowObj = 0;
            windowObjCount = 0;
            window = 0;
          }
          boolean saveNow = config.checkpoint() != null && config.checkpoint().everySteps() > 0
              && globalStep % config.checkpoint().everySteps() == 0 && !lastStep;
          boolean rebuildNow = !lastStep && !finetune
              && (s + 1) % config.pruneCheckEvery() == 0 && rebuildDue(config.rebuildThreshold());
          if (saveNow || rebuildNow) {
            double elapsed = secondsBefore + (System.nanoTime() - t0) / 1e9;
            TrainingState here = snapshot(new TrainingState.Progress(epoch, s + 1, globalStep,
                finetuneStarted, binaryAtEndOfPruning, trainSeconds + elapsed - secondsBefore,
                lossSum, objSum, objCount, elapsed, p.rebuilds(), ImmutableList.copyOf(history),
                false));
            if (saveNow) {
              save(here);
            }
            if (rebuildNow) {
              rebuildRequested = true;
              return here;
            }
          }
        }
        double seconds = secondsBefore + (System.nanoTime() - t0) / 1e9;
        trainSeconds += seconds - secondsBefore;
        Map<String, float[]> theta = gated ? readThetas() : Map.of();
        EpochStats stats = new EpochStats(epoch, !gated ? "dense" : finetune ? "finetune"
            : "prune", lossSum / stepsPerEpoch, objSum / Math.max(1, objCount), accuracy(),
            liveWidths(theta), macsFraction(theta), paramsFraction(theta),
            gated ? binaryOfAll(theta) : 1.0, frozen(), seconds, trainingMacs);
        history.add(stats);
        listener.onEpoch(stats);
        listener.onEpochThetas(epoch, gated ? thetaOfAll(theta) : Map.of());
        boolean last = epoch == config.epochs();
        if (last && gated && config.finetuneEpochs() == 0) {
          binaryAtEndOfPruning = binaryOfAll(theta);
        }
        TrainingState.Progress next = new TrainingState.Progress(epoch + 1, 0, globalStep,
            finetuneStarted, binaryAtEndOfPruning, trainSeconds, 0, 0, 0, 0, p.rebuilds(),
            ImmutableList.copyOf(history), last);
        boolean rebuildNow = !last && !finetune && rebuildDue(config.rebuildThreshold());
        boolean saveNow = config.checkpoint() != null
            && (last || config.checkpoint().everySteps() == 0);
        if (saveNow || rebuildNow || last) {
          TrainingState here = snapshot(next);
          if (saveNow) {
            save(here);
          }
          if (rebuildNow) {
            rebuildRequested = true;
          }
          if (rebuildNow || last) {
            return here;
          }
        }
      }
      throw new IllegalStateException("training ended without a final state");
    }

    private SplittableRandom epochRandom(int epoch) {
      return new SplittableRandom(config.seed() * 7919 + 17 + 1_000_003L * epoch);
    }

    private double learningRate(boolean finetune, long step, long totalSteps, int stepsPerEpoch) {
      if (!finetune || config.finetuneLearningRate() == 0) {
        return config.optimizer().learningRateAt(step, totalSteps);
      }
      long start = (long) config.pruningEpochs() * stepsPerEpoch;
      return OptimizerSpec.cosine(config.finetuneLearningRate(),
          config.optimizer().finalLearningRate(), step - start, totalSteps - start);
    }

    /** Values per example that the graph's input takes. */
    private int fedFeatures(TrainingData data) {
      return selected != null ? selected.length : data.featureSize();
    }

    private void fill(TrainingData data, int[] idx, float[] x, float[] y) {
      if (selected != null) {
        data.fill(idx, selected, x, y);
      } else {
        data.fill(idx, x, y);
      }
    }

    private long[] inputShape(int batch) {
      if (selected != null) {
        return new long[] {batch, selected.length};
      }
      long[] s = new long[spec.input().shape().size() + 1];
      s[0] = batch;
      for (int i = 1; i < s.length; i++) {
        s[i] = spec.input().shape().get(i - 1);
      }
      return s;
    }

    private Map<String, float[]> readThetas() {
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

    /** Freezes structures whose theta stayed at 0 and whose weights have decayed. */
    private void applyPruningCondition(Map<String, float[]> theta) {
      PruningCondition cond = config.pruningCondition();
      Session.Runner r = session.runner();
      List<String> groups = new ArrayList<>(norms.keySet());
      groups.forEach(g -> r.fetch(norms.get(g)));
      boolean changed = false;
      try (Result res = r.run()) {
        for (int gi = 0; gi < groups.size(); gi++) {
          String g = groups.get(gi);
          float[] sq = HostTensor.of((TFloat32) res.get(gi)).values();
          float[] t = theta.get(g);
          float[] m = masks.get(g);
          int[] zc = zeroChecks.get(g);
          PriorScales p = StructureWeights.scales(initialSpec, g);
          double bound = cond.maxRmsOverSigma1() * Math.sqrt(p.sigma1Squared());
          int liveMasks = 0;
          for (float v : m) {
            liveMasks += v > 0 ? 1 : 0;
          }
          for (int i = 0; i < t.length; i++) {
            zc[i] = t[i] == 0f ? zc[i] + 1 : 0;
            double rms = Math.sqrt(sq[i] / p.weightsPerStructure());
            boolean lastOfLayer = liveMasks <= 1 && !bypassable.contains(g);
            if (m[i] > 0 && zc[i] >= cond.zeroChecks() && rms <= bound && !lastOfLayer) {
              m[i] = 0f;
              liveMasks--;
              changed = true;
            }
          }
          if (!bypassable.contains(g)) {
            changed |= keepOneAlive(t, m);
          }
        }
      }
      changed |= propagateBlockDeath(theta);
      if (changed) {
        assignGateState(theta);
      }
    }

    /**
     * Writes every gate group's theta ({@code theta}, as read and then edited on the host) and
     * mask back to the graph. Always the same variables, so the session reuses one executor:
     * each new combination of fed variables would cost it several milliseconds to prepare.
     */
    private void assignGateState(Map<String, float[]> theta) {
      Map<String, HostTensor> all = new LinkedHashMap<>();
      theta.forEach((g, t) -> {
        all.put(ParameterSet.key(g, ParameterSet.THETA), new HostTensor(new long[] {t.length}, t));
        float[] m = masks.get(g);
        all.put(ParameterSet.key(g, NetworkGraph.MASK), new HostTensor(new long[] {m.length}, m));
      });
      net.assign(session, all);
    }

    /**
     * A residual block whose inner filters are all closed is dead: its branch would only add a
     * constant (the last batch norm's offset), so its gate is closed and frozen too, and the
     * gated network stays equal to the compact one. Returns whether a block was closed.
     */
    private boolean propagateBlockDeath(Map<String, float[]> theta) {
      boolean closed = false;
      for (LayerSpec l : spec.layers()) {
        if (l instanceof ResidualBlock r && r.gated() && r.conv1().gated()) {
          float[] inner = theta.get(r.conv1().name());
          boolean anyLive = false;
          for (float v : inner) {
            anyLive |= v >= 0.5f;
          }
          float[] block = theta.get(r.name());
          if (!anyLive && (block[0] != 0f || masks.get(r.name())[0] != 0f)) {
            block[0] = 0f;
            masks.get(r.name())[0] = 0f;
            closed = true;
          }
        }
      }
      return closed;
    }

    /**
     * A layer that nothing can bypass keeps at least one structure: when every theta of a group
     * has fallen below 0.5, the unfrozen structure with the largest theta is reopened (theta 1).
     * Returns whether one was.
     */
    private boolean keepOneAlive(float[] t, float[] m) {
      int best = -1;
      for (int i = 0; i < t.length; i++) {
        if (t[i] >= 0.5f) {
          return false;
        }
        if (m[i] > 0 && (best < 0 || t[i] > t[best])) {
          best = i;
        }
      }
      if (best >= 0) {
        t[best] = 1f;
      }
      return best >= 0;
    }

    /** Rounds theta to its deterministic value for the fine-tuning phase. */
    private void roundTheta() {
      Map<String, float[]> rounded = new LinkedHashMap<>();
      readThetas().forEach((g, t) -> {
        float[] r = new float[t.length];
        for (int i = 0; i < t.length; i++) {
          r[i] = t[i] >= 0.5f ? 1f : 0f;
        }
        rounded.put(g, r);
      });
      propagateBlockDeath(rounded);
      rounded.forEach((g, r) -> {
        // fine-tuning never reopens a gate: what is closed now is frozen
        float[] m = masks.get(g);
        for (int i = 0; i < r.length; i++) {
          m[i] = r[i] == 0f ? 0f : m[i];
        }
      });
      assignGateState(rounded);
    }

    private double accuracy() {
      int n = test.size();
      int eb = Math.min(config.evalBatchSize(), n);
      float[] x = new float[eb * fedFeatures(test)];
      float[] y = new float[eb * test.numClasses()];
      double hits = 0;
      for (int start = 0; start < n; start += eb) {
        int len = Math.min(eb, n - start);
        int[] idx = new int[len];
        for (int i = 0; i < len; i++) {
          idx[i] = start + i;
        }
        float[] xb = len == eb ? x : new float[len * fedFeatures(test)];
        float[] yb = len == eb ? y : new float[len * test.numClasses()];
        fill(test, idx, xb, yb);
        try (TFloat32 xt = TFloat32.tensorOf(Shape.of(inputShape(len)),
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

    /**
     * Live structures per gate group of the spec training started from (0 for groups a rebuild
     * removed), so progress and history keep one shape for the whole run.
     */
    private ImmutableMap<String, Integer> liveWidths(Map<String, float[]> theta) {
      ImmutableMap.Builder<String, Integer> b = ImmutableMap.builder();
      if (!gated) {
        return b.build();
      }
      for (GateGroup g : initialSpec.gateGroups()) {
        int live = 0;
        for (float v : theta.getOrDefault(g.name(), new float[0])) {
          live += v >= 0.5f ? 1 : 0;
        }
        b.put(g.name(), live);
      }
      return b.build();
    }

    private LayerCost<Double> deterministicCost(Map<String, float[]> theta) {
      Map<String, Integer> live = liveWidths(theta);
      return CostModel.total(spec, g -> (double) live.get(g), CostAlgebra.HOST);
    }

    private double macsFraction(Map<String, float[]> theta) {
      return !gated ? 1.0 : deterministicCost(theta).macs() / dense.macs();
    }

    private double paramsFraction(Map<String, float[]> theta) {
      return !gated ? 1.0 : deterministicCost(theta).params() / dense.params();
    }

    /**
     * {@link #binaryFraction} over every structure of the spec training started from: those a
     * rebuild removed have theta 0.
     */
    private double binaryOfAll(Map<String, float[]> theta) {
      int removed = start.inGraph() == null ? 0 : start.inGraph().removed();
      long n = removed;
      for (float[] t : theta.values()) {
        n += t.length;
      }
      return n == 0 ? 1.0 : (binaryFraction(theta) * (n - removed) + removed) / n;
    }

    /**
     * Theta for every gate group of the spec training started from, at full length: the entries
     * of structures a rebuild removed are 0.
     */
    private Map<String, float[]> thetaOfAll(Map<String, float[]> theta) {
      Map<String, float[]> all = new LinkedHashMap<>();
      for (GateGroup g : initialSpec.gateGroups()) {
        float[] full = new float[g.size()];
        float[] now = theta.get(g.name());
        if (now != null) {
          int[] kept = start.inGraph().kept(g.name());
          for (int i = 0; i < kept.length; i++) {
            full[kept[i]] = now[i];
          }
        }
        all.put(g.name(), full);
      }
      return all;
    }

    /** Structures pruned for good: removed by rebuilds or frozen in this graph. */
    private int frozen() {
      int f = start.inGraph() == null ? 0 : start.inGraph().removed();
      for (float[] m : masks.values()) {
        for (float v : m) {
          f += v == 0f ? 1 : 0;
        }
      }
      return f;
    }
  }

  /** Fraction of gate probabilities within 0.01 of 0 or 1. */
  public static double binaryFraction(Map<String, float[]> theta) {
    long n = 0;
    long binary = 0;
    for (float[] t : theta.values()) {
      for (float v : t) {
        n++;
        binary += (v <= 0.01f || v >= 0.99f) ? 1 : 0;
      }
    }
    return n == 0 ? 1.0 : (double) binary / n;
  }

  private static int[] permutation(int n, SplittableRandom rng) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
