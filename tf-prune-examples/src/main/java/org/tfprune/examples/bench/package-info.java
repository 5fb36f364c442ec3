/** Benchmarks: compact-vs-dense inference latency and training step time, measured side by side. */
package org.tfprune.examples.bench;
