package org.tfprune.examples.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.SessionFunction;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tfprune.examples.data.Datasets;
import org.tfprune.examples.data.LabeledImages;
import org.tfprune.examples.report.RunReport;
import org.tfprune.export.ExportException;
import org.tfprune.export.InferenceModel;
import org.tfprune.export.SavedModelLoader;
import org.tfprune.slice.HostTensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tf-prune evaluate}: loads an exported SavedModel with plain TF-Java after checking its
 * files ({@link SavedModelLoader}: {@code SavedModelBundle} with tag {@code serve}, its only
 * signature or {@code serving_default}),
 * prints the signature's keys and tensor names and measures its test accuracy (from the logits,
 * or from the first output); when the directory holds a report.json, compares with the accuracy
 * reported at export time.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = "Load an exported SavedModel with plain TF-Java and measure its test accuracy.")
final class EvaluateCommand implements Callable<Integer> {
  @Option(names = "--saved-model", defaultValue = "saved-models/lenet-300-100-mnist",
      description = "SavedModel directory. Default: ${DEFAULT-VALUE}.")
  Path savedModel;

  @Option(names = "--dataset", description = "Data set (default: the one in report.json).")
  String dataset;

  @Option(names = "--data-dir", description = "Directory holding the data set's files.")
  Path dataDir;

  @Override
  public Integer call() throws Exception {
    RunReport report = null;
    Path reportFile = savedModel.resolve("report.json");
    if (Files.isRegularFile(reportFile)) {
      report = RunReport.fromJson(Files.readAllBytes(reportFile));
    }
    String name = dataset != null ? dataset : report != null ? report.settings().dataset() : null;
    if (name == null) {
      throw new IllegalArgumentException("no report.json in " + savedModel + ": pass --dataset");
    }
    Datasets.Split split = dataDir != null ? Datasets.load(name, dataDir) : Datasets.load(name);
    LabeledImages test = split.test();
    if (report != null && report.settings().testExamples() < test.count()) {
      test = test.head(report.settings().testExamples());
    }
    if (!Files.isRegularFile(savedModel.resolve("saved_model.pb"))) {
      throw new ExportException(savedModel + " holds no saved_model.pb: point --saved-model to a "
          + "SavedModel directory");
    }
    int correct = 0;
    // the files are checked first: a damaged model is a named error, not a crash
    try (SavedModelBundle b = SavedModelLoader.load(savedModel, "serve")) {
      // tf-prune's own interface, or the one a pruned model kept from its original
      SessionFunction f = b.functions().size() == 1 ? b.functions().get(0)
          : b.function(InferenceModel.SIGNATURE_KEY);
      Signature sig = f.signature();
      String input = sig.inputNames().iterator().next();
      // the logits, or any output whose argmax is the class (e.g. the probabilities)
      String output = sig.outputNames().contains(InferenceModel.LOGITS) ? InferenceModel.LOGITS
          : new java.util.TreeSet<>(sig.outputNames()).first();
      System.out.println(describe(sig));
      int n = test.count();
      int nc = test.numClasses();
      for (int start = 0; start < n; start += 1000) {
        int len = Math.min(1000, n - start);
        int[] idx = PruneRun.range(len);
        for (int i = 0; i < len; i++) {
          idx[i] += start;
        }
        long[] shape = new long[test.featureShape().length + 1];
        shape[0] = len;
        for (int i = 0; i < test.featureShape().length; i++) {
          shape[i + 1] = test.featureShape()[i];
        }
        if (sig.getInputs().get(input).shape.numDimensions() == 2) {
          shape = new long[] {len, test.featureSize()};
        }
        try (TFloat32 x = TFloat32.tensorOf(Shape.of(shape),
                DataBuffers.of(test.features(idx), true, false));
            Result r = f.call(Map.of(input, x))) {
          HostTensor logits = HostTensor.of((TFloat32) r.get(output).orElseThrow());
          correct += PruneRun.correct(logits, test.labels(idx), nc);
        }
      }
      double acc = (double) correct / n;
      System.out.printf("%s: test accuracy %.2f%% on %d %s test examples (loaded with "
          + "SavedModelBundle, signature %s, output %s)%n", savedModel, 100 * acc, n, name,
          sig.key(), output);
      if (report != null && report.compact().testAccuracy() != null) {
        double reported = report.compact().testAccuracy();
        boolean same = Math.abs(reported - acc) < 1e-9;
        System.out.printf("report.json says %.2f%%: %s%n", 100 * reported,
            same ? "reproduced" : "DIFFERENT");
        return same ? 0 : 1;
      }
      return 0;
    }
  }

  /**
   * One line naming the signature's key, input and outputs with their tensor names, e.g. {@code
   * signature 'classify': input pixels=images:0; outputs logits=fc_out/BiasAdd:0, scores=scores:0}.
   */
  static String describe(Signature sig) {
    StringBuilder s = new StringBuilder("signature '").append(sig.key()).append("': input ");
    new java.util.TreeMap<>(sig.getInputs()).forEach((k, d) -> s.append(k).append('=')
        .append(d.name));
    s.append("; outputs ");
    s.append(String.join(", ", new java.util.TreeMap<>(sig.getOutputs()).entrySet().stream()
        .map(e -> e.getKey() + "=" + e.getValue().name).toList()));
    return s.toString();
  }
}
