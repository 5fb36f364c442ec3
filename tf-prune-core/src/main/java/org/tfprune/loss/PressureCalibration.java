package org.tfprune.loss;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tfprune.complexity.CostAlgebra;
import org.tfprune.complexity.CostModel;
import org.tfprune.complexity.LayerCost;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.Conv2DLayer;
import org.tfprune.spec.GateGroup;
import org.tfprune.spec.ResidualBlock;

/**
 * How hard the complexity cost pushes, derived from the network's own cost structure so that a
 * strength means the same on every network.
 *
 * <p>Each gate group {@code g} holds a share {@code F_g} of the normalized cost (the sum over its
 * structures of the cost's derivative at full width: what closing the whole group would save,
 * counted once for its own layer and once for the inputs of the next). A structure's pressure is
 * its share of the total, {@code F_g / m_g}, while its value to the data loss is about {@code
 * 1 / m_g} of its layer's: the ratio is {@code F_g}, which shrinks as a network spreads its cost
 * over more layers. The complexity weight therefore grows with the effective number of gated
 * layers, the inverse concentration of the shares,
 *
 * <pre>  L_eff = (sum_g F_g)^2 / sum_g F_g^2,   K = {@link #WEIGHT_PER_LAYER} * L_eff,</pre>
 *
 * so a structure holding a given fraction of its layer's cost sees the same pressure on a 3-layer
 * perceptron as in a 20-layer residual network. {@link #WEIGHT_PER_LAYER} is the one calibration
 * constant: it reproduces LeNet-300-100's measured {@code K = 6.25} ({@code L_eff = 2.2306}).
 */
public final class PressureCalibration {
  /**
   * The complexity weight per effective gated layer: 6.25 / 2.2295, LeNet-300-100's complexity
   * weight over its effective layer count at flopsShare 0.5 (the anchor of strength 1; its
   * weight is unchanged by the calibration).
   */
  public static final double WEIGHT_PER_LAYER = 6.25 / 2.2305638982184846;

  /**
   * Networks whose cost per structure (as a share of the total) varies more than this between
   * their most and least expensive structures get Adam on theta: projected SGD's step is
   * proportional to the gradient, so one learning rate cannot serve structures whose pressure
   * differs by orders of magnitude. 15 lies between the measured cases: LeNet-300-100 (spread
   * 2.9) trains best with SGD, LeNet-5 (19.7) and the ResNets (about 90) with Adam. Networks
   * with a convolution get Adam whatever their spread: a conv filter's data gradient varies with
   * its feature map's spatial size and from batch to batch far more than a dense unit's, and
   * SGD's step, sized for LeNet-300-100, made an imported Keras CNN's first-layer gates swing
   * between 10 and 1 open filters from epoch to epoch (1.83 points below the original at
   * strength 1, against 0.13 with Adam).
   */
  public static final double SGD_MAX_SPREAD = 15.0;

  /**
   * The share of the complexity pressure that a normalized filter's or block's gate feels
   * ({@code StructureWeights.normalized}: batch norm right after the conv). Under the batch's
   * statistics the gates' data gradient is zero-sum within a layer (scaling every filter of a
   * layer changes nothing after the next normalization), and per gate it measured about ten
   * times smaller than a dense unit's against its pressure (docs/results.md); a layer's value
   * appears only as its width falls, to second order. Measured on ResNet-20 and checked on
   * VGG-16 (Fashion-MNIST): see docs/results.md.
   */
  public static final double NORMALIZED_PRESSURE = 0.05;

  private final ImmutableMap<String, Double> groupShares;
  private final ImmutableMap<String, Integer> groupSizes;
  private final boolean convolutional;

  private PressureCalibration(Map<String, Double> shares, Map<String, Integer> sizes,
      boolean convolutional) {
    this.groupShares = ImmutableMap.copyOf(shares);
    this.groupSizes = ImmutableMap.copyOf(sizes);
    this.convolutional = convolutional;
  }

  /** The calibration of {@code spec} for a complexity weighing MACs by {@code flopsShare}. */
  public static PressureCalibration of(ArchitectureSpec spec, double flopsShare) {
    checkNotNull(spec, "spec");
    checkArgument(flopsShare >= 0 && flopsShare <= 1, "flopsShare must be in [0, 1], got %s",
        flopsShare);
    Map<String, Double> full = new LinkedHashMap<>();
    Map<String, Integer> sizes = new LinkedHashMap<>();
    for (GateGroup g : spec.gateGroups()) {
      full.put(g.name(), (double) g.size());
      sizes.put(g.name(), g.size());
    }
    LayerCost<Double> dense = CostModel.total(spec, full::get, CostAlgebra.HOST);
    Map<String, Double> shares = new LinkedHashMap<>();
    for (GateGroup g : spec.gateGroups()) {
      // the cost is multilinear in the widths: one structure fewer gives the exact derivative
      Map<String, Double> less = new LinkedHashMap<>(full);
      less.put(g.name(), g.size() - 1.0);
      LayerCost<Double> c = CostModel.total(spec, less::get, CostAlgebra.HOST);
      double perStructure = flopsShare * (dense.macs() - c.macs()) / dense.macs()
          + (1 - flopsShare) * (dense.params() - c.params()) / dense.params();
      shares.put(g.name(), perStructure * g.size());
    }
    boolean convolutional = spec.layers().stream()
        .anyMatch(l -> l instanceof Conv2DLayer || l instanceof ResidualBlock);
    return new PressureCalibration(shares, sizes, convolutional);
  }

  /** {@code F_g} per gate group: the normalized cost's derivative summed over the group. */
  public ImmutableMap<String, Double> groupShares() {
    return groupShares;
  }

  /** {@code L_eff}, the effective number of gated layers (1 for a network with one group). */
  public double effectiveLayers() {
    double sum = 0;
    double squares = 0;
    for (double f : groupShares.values()) {
      sum += f;
      squares += f * f;
    }
    return squares == 0 ? 1.0 : sum * sum / squares;
  }

  /** {@code K}, the weight of the normalized complexity cost at strength 1. */
  public double complexityWeight() {
    return WEIGHT_PER_LAYER * effectiveLayers();
  }

  /**
   * The ratio of the largest to the smallest cost per structure ({@code F_g / m_g}) over the
   * gate groups that carry any cost.
   */
  public double costSpread() {
    double max = 0;
    double min = Double.POSITIVE_INFINITY;
    for (Map.Entry<String, Double> e : groupShares.entrySet()) {
      double perStructure = e.getValue() / groupSizes.get(e.getKey());
      if (perStructure > 0) {
        max = Math.max(max, perStructure);
        min = Math.min(min, perStructure);
      }
    }
    return max == 0 ? 1.0 : max / min;
  }

  /**
   * Whether projected SGD suits theta (a network of dense layers whose cost per structure is
   * even enough), else Adam.
   */
  public boolean sgdSuits() {
    return !convolutional && costSpread() <= SGD_MAX_SPREAD;
  }
}
