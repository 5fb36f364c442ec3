package org.tfprune.train;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.LinkedHashMap;
import java.util.Map;
import org.tfprune.complexity.CostAlgebra;
import org.tfprune.complexity.CostModel;
import org.tfprune.complexity.LayerCost;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.GateGroup;

/**
 * A complexity budget: the fractions of the dense network's MACs and parameters the pruned
 * network should keep. The trainer adapts the pressure during the pruning phase so the result
 * lands on it ({@link BudgetController}); the gates and the prior still choose what goes.
 *
 * @param macs the fraction of the dense MACs to keep, in (0, 1]; NaN = no MACs target
 * @param params the fraction of the dense parameters to keep, in (0, 1]; NaN = no parameter
 *     target
 */
public record Budget(double macs, double params) {
  /** No budget: the strength knob alone sets the pressure. */
  public static final Budget NONE = new Budget(Double.NaN, Double.NaN);

  public Budget {
    checkArgument(Double.isNaN(macs) || (macs > 0 && macs <= 1),
        "target MACs must be a fraction of the dense network's in (0, 1], got %s", macs);
    checkArgument(Double.isNaN(params) || (params > 0 && params <= 1),
        "target parameters must be a fraction of the dense network's in (0, 1], got %s", params);
  }

  /** Keep {@code fraction} of the dense MACs. */
  public static Budget ofMacs(double fraction) {
    return new Budget(fraction, Double.NaN);
  }

  /** Keep {@code fraction} of the dense parameters. */
  public static Budget ofParams(double fraction) {
    return new Budget(Double.NaN, fraction);
  }

  public boolean isSet() {
    return !Double.isNaN(macs) || !Double.isNaN(params);
  }

  /**
   * Whether a structure keeping these fractions of the dense MACs and parameters is at most
   * {@code margin} (relative) above every target: a budget run stops pruning there.
   */
  public boolean metBy(double macsFraction, double paramsFraction, double margin) {
    checkArgument(isSet(), "no budget to meet");
    return (Double.isNaN(macs) || macsFraction <= macs * (1 + margin))
        && (Double.isNaN(params) || paramsFraction <= params * (1 + margin));
  }

  /**
   * The smallest network training can reach from {@code spec}: every layer that nothing can
   * bypass keeps one structure, every bypassable one (a residual block) none.
   */
  public static LayerCost<Double> smallest(ArchitectureSpec spec) {
    Map<String, Double> widths = new LinkedHashMap<>();
    for (GateGroup g : spec.gateGroups()) {
      widths.put(g.name(), g.bypassable() ? 0.0 : 1.0);
    }
    return CostModel.total(spec, widths::get, CostAlgebra.HOST);
  }

  /**
   * Checks that {@code spec} can meet the budget.
   *
   * @throws IllegalArgumentException naming the target and the smallest reachable fraction
   */
  public void checkFeasible(ArchitectureSpec spec) {
    if (!isSet()) {
      return;
    }
    checkArgument(spec.hasGates(), "network %s has no gates, so no budget can be met: prune it "
        + "with gates or drop the target", spec.name());
    Map<String, Double> full = new LinkedHashMap<>();
    spec.gateGroups().forEach(g -> full.put(g.name(), (double) g.size()));
    LayerCost<Double> dense = CostModel.total(spec, full::get, CostAlgebra.HOST);
    LayerCost<Double> min = smallest(spec);
    double minMacs = min.macs() / dense.macs();
    double minParams = min.params() / dense.params();
    checkArgument(Double.isNaN(macs) || macs >= minMacs,
        "target MACs %s cannot be met: with one unit, filter or feature per layer network %s "
            + "still keeps %s of its MACs; use --target-macs %s or more", plain(macs), spec.name(),
        fraction(minMacs), roundedUp(minMacs));
    checkArgument(Double.isNaN(params) || params >= minParams,
        "target parameters %s cannot be met: with one unit, filter or feature per layer network "
            + "%s still keeps %s of its parameters; use --target-params %s or more", plain(params),
        spec.name(), fraction(minParams), roundedUp(minParams));
  }

  /** A fraction as written, without an exponent ({@code 0.00001}, not {@code 1.0E-5}). */
  private static String plain(double f) {
    return Double.isFinite(f) ? java.math.BigDecimal.valueOf(f).stripTrailingZeros()
        .toPlainString() : String.valueOf(f);
  }

  private static String fraction(double f) {
    return String.format(java.util.Locale.ROOT, "%.5f", f);
  }

  private static String roundedUp(double f) {
    return String.format(java.util.Locale.ROOT, "%.4f", Math.ceil(f * 1e4) / 1e4);
  }
}
