package org.tfprune.examples.experiments;

import com.google.common.collect.ImmutableList;

/**
 * Everything one {@code tf-prune experiments} invocation measured: how it was run and each
 * suite's result. Written as {@code results.json}; {@link ResultsWriter} renders the Markdown.
 *
 * @param command the command line that produced it
 * @param complete false while suites are still running (a partial write)
 */
public record ExperimentResults(String command, String size, ExperimentPlan plan,
    String started, double wallSeconds, int processors, boolean complete,
    ImmutableList<SuiteResult> suites) {}
