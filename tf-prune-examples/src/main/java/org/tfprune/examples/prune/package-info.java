/** Pruning an existing model in one call: import, check, prune-train, export, report. */
package org.tfprune.examples.prune;
