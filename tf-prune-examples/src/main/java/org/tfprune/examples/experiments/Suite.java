package org.tfprune.examples.experiments;

/**
 * One experiment: it trains what it needs through the {@link ExperimentContext}, writes its plots
 * and returns its tables, claims and runs.
 */
public interface Suite {
  /** The name {@code --suite} selects it by. */
  String name();

  /** Runs the suite. */
  SuiteResult run(ExperimentContext context);
}
