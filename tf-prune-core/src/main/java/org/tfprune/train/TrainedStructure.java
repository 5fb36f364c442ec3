package org.tfprune.train;

import static com.google.common.base.Preconditions.checkState;

import com.google.common.collect.ImmutableMap;
import java.util.Map;
import org.tfprune.complexity.Complexity;
import org.tfprune.complexity.ComplexityCounter;
import org.tfprune.slice.ParameterSet;
import org.tfprune.slice.WeightSlicer;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.KeepMask;

/**
 * The one owner of the structure a run trains: the spec it started from (which the objective and
 * every report refer to), what of it the training graph still holds after rebuilds, and their
 * costs, each computed once.
 */
final class TrainedStructure {
  private final ArchitectureSpec initialSpec;
  private final ImmutableMap<String, long[]> initialShapes;
  private final KeepMask inGraph;
  private final ArchitectureSpec spec;
  private final Complexity dense;
  private final double trainingMacs;

  /**
   * @param initialSpec the spec training started from
   * @param initialShapes the shape of every parameter of {@code initialSpec}
   * @param inGraph what of {@code initialSpec} the training graph holds (null when ungated)
   */
  TrainedStructure(ArchitectureSpec initialSpec, ImmutableMap<String, long[]> initialShapes,
      KeepMask inGraph) {
    this.initialSpec = initialSpec;
    this.initialShapes = initialShapes;
    this.inGraph = inGraph;
    this.spec = inGraph == null || inGraph.removed() == 0 ? initialSpec
        : initialSpec.compact(inGraph);
    this.dense = ComplexityCounter.count(initialSpec);
    this.trainingMacs = spec == initialSpec ? dense.macs() : ComplexityCounter.count(spec).macs();
  }

  /** The whole of {@code spec}, with the shapes of {@code initial}'s parameters. */
  static TrainedStructure start(ArchitectureSpec spec, ParameterSet initial, boolean gated) {
    ImmutableMap.Builder<String, long[]> shapes = ImmutableMap.builder();
    initial.asMap().forEach((k, v) -> shapes.put(k, v.shape()));
    return new TrainedStructure(spec, shapes.build(), gated ? KeepMask.all(spec) : null);
  }

  ArchitectureSpec initialSpec() {
    return initialSpec;
  }

  ImmutableMap<String, long[]> initialShapes() {
    return initialShapes;
  }

  /** What of the initial spec the graph holds (null when ungated). */
  KeepMask inGraph() {
    return inGraph;
  }

  /** The spec of the current training graph. */
  ArchitectureSpec spec() {
    return spec;
  }

  /** Structures of the initial spec that rebuilds removed. */
  int removed() {
    return inGraph == null ? 0 : inGraph.removed();
  }

  /** The cost of the spec training started from. */
  Complexity dense() {
    return dense;
  }

  /** MACs per example of the current training graph. */
  double trainingMacs() {
    return trainingMacs;
  }

  /** MACs per example of the current graph without the structures whose mask is 0. */
  double macsWithout(Map<String, float[]> masks) {
    return ComplexityCounter.count(spec.compact(TrainingState.liveOf(masks))).macs();
  }

  /** The structure once the current graph is rebuilt with only {@code live}. */
  TrainedStructure keeping(KeepMask live) {
    ArchitectureSpec next = spec.compact(live);
    KeepMask composed = KeepMask.compose(initialSpec, inGraph, live);
    TrainedStructure s = new TrainedStructure(initialSpec, initialShapes, composed);
    checkState(s.spec.equals(next), "successive compactions of %s disagree with a single one",
        initialSpec.name());
    return s;
  }

  /** The keep-mask relative to the initial spec of the current graph's {@code last}. */
  KeepMask keepOfInitial(KeepMask last) {
    return KeepMask.compose(initialSpec, inGraph, last);
  }

  /** {@code parameters} of the current graph at the initial shapes (zeros where removed). */
  ParameterSet expand(ParameterSet parameters) {
    return removed() == 0 ? parameters
        : WeightSlicer.expand(initialSpec, parameters, inGraph, initialShapes);
  }
}
