package org.tfprune.examples.cli;

import picocli.CommandLine.Option;

/** Whether a residual network's stream channels are pruned too (train and prune). */
final class StreamOptions {
  @Option(names = "--couple-stream-channels", description = "Residual networks: gate the "
      + "residual stream's channels too, with one gate vector shared per stage by the stem or "
      + "projection, the shortcuts and every block's output, and remove them everywhere on "
      + "export. Default: off (only inner filters and whole blocks are pruned).")
  boolean coupleStreamChannels;
}
