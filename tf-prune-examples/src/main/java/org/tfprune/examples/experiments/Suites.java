package org.tfprune.examples.experiments;

import com.google.common.collect.ImmutableList;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** The suites {@code tf-prune experiments} knows, in the order {@code all} runs them. */
public final class Suites {
  /**
   * Every suite. Robustness runs first: early pruning, the sweep and the baselines reuse its
   * LeNet-300-100 runs when run together.
   */
  public static final ImmutableList<Suite> ALL = ImmutableList.of(new RobustnessSuite(),
      new EarlyPruningSuite(), new TradeoffSuite(), new BaselinesSuite(), new EstimatorSuite(),
      new KnobsSuite());

  private Suites() {}

  /** Names of every suite. */
  public static List<String> names() {
    return ALL.stream().map(Suite::name).toList();
  }

  /** The suites named in {@code selection}: {@code all} or a comma-separated list of names. */
  public static List<Suite> select(String selection) {
    String s = selection.trim().toLowerCase(Locale.ROOT);
    if (s.equals("all")) {
      return ALL;
    }
    List<Suite> out = new ArrayList<>();
    for (String name : s.split(",")) {
      Suite suite = ALL.stream().filter(x -> x.name().equals(name.trim())).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("unknown suite '" + name.trim()
              + "': use all or one or more of " + names()));
      if (!out.contains(suite)) {
        out.add(suite);
      }
    }
    // run in the canonical order, so that shared runs are reused
    out.sort(Comparator.comparingInt(ALL::indexOf));
    return out;
  }
}
