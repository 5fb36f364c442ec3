package org.tfprune.examples.cli;

import java.nio.file.Path;
import org.tfprune.examples.data.Datasets;
import picocli.CommandLine.Option;

/** Which data set to train and evaluate on, where its files are, and optional limits. */
final class DataOptions {
  @Option(names = {"--dataset", "--data"}, defaultValue = "mnist",
      description = "mnist, fashion-mnist or cifar10. Default: ${DEFAULT-VALUE}.")
  String dataset;

  @Option(names = "--data-dir", description = "Directory holding the data set's files "
      + "(default: .cache/mnist for MNIST, .cache/fashion-mnist for Fashion-MNIST, filled by "
      + "scripts/fetch-mnist.sh and scripts/fetch-fashion-mnist.sh).")
  Path dataDir;

  @Option(names = "--train-limit", defaultValue = "0",
      description = "Use only the first N training examples (0 = all), for quick runs.")
  int trainLimit;

  @Option(names = "--test-limit", defaultValue = "0",
      description = "Use only the first N test examples (0 = all).")
  int testLimit;

  /** The data set, limited as asked. */
  Datasets.Split load() {
    Datasets.Split split = dataDir != null ? Datasets.load(dataset, dataDir)
        : Datasets.load(dataset);
    return new Datasets.Split(trainLimit > 0 ? split.train().head(trainLimit) : split.train(),
        testLimit > 0 ? split.test().head(testLimit) : split.test());
  }
}
