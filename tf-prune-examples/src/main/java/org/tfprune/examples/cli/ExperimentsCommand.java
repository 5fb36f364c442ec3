package org.tfprune.examples.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.tfprune.examples.data.Datasets;
import org.tfprune.examples.experiments.ExperimentPlan;
import org.tfprune.examples.experiments.ExperimentProgress;
import org.tfprune.examples.experiments.ExperimentResults;
import org.tfprune.examples.experiments.ExperimentRunner;
import org.tfprune.examples.experiments.ResultsDirectory;
import org.tfprune.examples.experiments.Suite;
import org.tfprune.examples.experiments.Suites;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tf-prune experiments}: the reproducible experiment suites behind docs/results.md. */
@Command(name = "experiments", mixinStandardHelpOptions = true,
    description = "Run experiment suites that measure the method's claims; write results.md, "
        + "results.json and PNG plots into the output directory.")
final class ExperimentsCommand implements Callable<Integer> {
  @Spec
  CommandSpec commandSpec;

  @Option(names = "--suite", defaultValue = "all", description = "all, or a comma-separated "
      + "list of: robustness, early-pruning, tradeoff, baselines, estimator, knobs. Default: "
      + "${DEFAULT-VALUE}.")
  String suite;

  @Option(names = "--size", defaultValue = "quick", description = "quick (loose checks on "
      + "data slices, a few minutes) or full (the measurement, hours). Default: "
      + "${DEFAULT-VALUE}.")
  String size;

  @Option(names = "--out", description = "Results directory (default: results/<size>).")
  Path out;

  @Option(names = "--overwrite", description = "Replace an existing results directory.")
  boolean overwrite;

  @Option(names = "--mnist-dir", description = "MNIST directory (default: .cache/mnist).")
  Path mnistDir;

  @Option(names = "--fashion-mnist-dir",
      description = "Fashion-MNIST directory (default: .cache/fashion-mnist, filled by "
          + "scripts/fetch-fashion-mnist.sh).")
  Path fashionDir;

  @Option(names = "--epochs", description = "LeNet-300-100 epochs, overriding the size's "
      + "(the last quarter fine-tuning).")
  Integer epochs;

  @Option(names = "--conv-epochs", description = "LeNet-5 epochs, overriding the size's.")
  Integer convEpochs;

  @Option(names = "--conv-train-limit",
      description = "LeNet-5 training images (0 = all), overriding the size's.")
  Integer convTrainLimit;

  @Option(names = "--seeds", description = "Seeds 1..N for robustness and early pruning.")
  Integer seeds;

  @Option(names = "--baseline-seeds", description = "Seeds 1..N for the baselines.")
  Integer baselineSeeds;

  @Option(names = "--widths", split = ",",
      description = "LeNet-300-100 width multipliers of the robustness suite, e.g. 1,2,4.")
  List<Double> widths;

  @Option(names = "--robustness-datasets", split = ",",
      description = "Data sets of the robustness suite, e.g. mnist,fashion-mnist.")
  List<String> robustnessDatasets;

  @Option(names = "--threads", defaultValue = "0",
      description = "TensorFlow threads per run (0 = TensorFlow's default).")
  int threads;

  @Option(names = "--quiet", description = "Only a line per run, no epoch lines.")
  boolean quiet;

  @Override
  public Integer call() {
    ExperimentPlan plan = plan();
    List<Suite> selected = Suites.select(suite);
    Map<String, Path> dirs = new LinkedHashMap<>();
    if (mnistDir != null) {
      dirs.put(Datasets.MNIST, mnistDir);
    }
    if (fashionDir != null) {
      dirs.put(Datasets.FASHION_MNIST, fashionDir);
    }
    Path target = out != null ? out : Path.of("results", plan.size());
    ResultsDirectory dir = ResultsDirectory.create(target, overwrite);
    PrintWriter pw = commandSpec.commandLine().getOut();
    pw.printf("experiments %s, size %s: writing into %s, moved to %s when complete%n",
        selected.stream().map(Suite::name).toList(), plan.size(), dir.temporary(),
        dir.target());
    ExperimentResults r = new ExperimentRunner(plan, selected, dirs, threads).run(dir,
        "tf-prune " + String.join(" ", commandSpec.commandLine().getParseResult()
            .originalArgs()), new ExperimentProgress(pw, quiet));
    long failed = r.suites().stream().flatMap(s -> s.claims().stream())
        .filter(c -> !c.holds()).count();
    pw.printf("results: %s (%d claims checked, %d do not hold; wall time %s)%n",
        dir.target().resolve("results.md"),
        r.suites().stream().mapToLong(s -> s.claims().size()).sum(), failed,
        ExperimentProgress.duration(r.wallSeconds()));
    pw.flush();
    return 0;
  }

  private ExperimentPlan plan() {
    ExperimentPlan p = ExperimentPlan.named(size);
    if (epochs != null) {
      p = p.withMlpEpochs(epochs);
    }
    if (convEpochs != null) {
      p = p.withConvEpochs(convEpochs);
    }
    if (convTrainLimit != null) {
      p = p.withConvTrainLimit(convTrainLimit);
    }
    if (seeds != null) {
      p = p.withSeeds(seeds);
    }
    if (baselineSeeds != null) {
      p = p.withBaselineSeeds(baselineSeeds);
    }
    if (widths != null || robustnessDatasets != null) {
      p = p.withRobustness(widths != null ? widths : p.widths(),
          robustnessDatasets != null ? robustnessDatasets : p.robustnessDatasets());
    }
    return p;
  }
}
