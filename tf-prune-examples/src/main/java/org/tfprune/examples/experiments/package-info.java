/**
 * The experiment suite behind {@code tf-prune experiments}: suites that measure the method's
 * claims (robustness, early pruning, trade-off, baselines at matched MACs, estimator quality,
 * knobs) and write Markdown and JSON tables and PNG plots.
 */
package org.tfprune.examples.experiments;
