package org.tfprune.examples.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code tf-prune bench}: latency and step-time benchmarks. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Measure compact-vs-dense latency and gated-vs-dense training step time.")
final class BenchCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    throw new UnsupportedOperationException("bench: not written yet");
  }
}
