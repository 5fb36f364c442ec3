package org.tfprune.examples.cli;

import picocli.CommandLine.Option;

/** How a run treats an existing output and how much it prints. */
final class RunOptions {
  @Option(names = "--overwrite", description = "Replace an existing output directory.")
  boolean overwrite;

  @Option(names = "--quiet", description = "Only epoch lines, no step lines.")
  boolean quiet;
}
