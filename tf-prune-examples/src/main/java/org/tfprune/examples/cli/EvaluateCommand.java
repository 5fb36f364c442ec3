package org.tfprune.examples.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
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
import org.tfprune.export.InferenceModel;
import org.tfprune.export.SavedModelLoader;
import org.tfprune.slice.HostTensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tf-prune evaluate}: checks the SavedModel's files ({@link SavedModelFiles}), loads it with
 * plain TF-Java ({@code SavedModelBundle}, tag {@code serve} and signature {@code serving_default}
 * or its only one, unless {@code --tag} / {@code --signature} say otherwise), prints the
 * signature's keys and tensor names and measures its test accuracy (from the logits, or from the
 * first output); when the directory holds a report.json, compares with the accuracy reported at
 * export time. Refuses test images of another shape than the model's input.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = "Load an exported SavedModel with plain TF-Java and measure its test accuracy "
        + "on a data set or on your own files (--data PATH|GLOB, with train's data options).")
final class EvaluateCommand implements Callable<Integer> {
  @Option(names = "--saved-model", defaultValue = "saved-models/lenet-300-100-mnist",
      description = "SavedModel directory. Default: ${DEFAULT-VALUE}.")
  Path savedModel;

  /**
   * The data: a named data set (default: the one in report.json) or the user's files with the
   * options of {@code train}; {@code evaluate} reads their evaluation data ({@link
   * DataOptions#loadEvaluation()}).
   */
  @Mixin
  DataOptions data;

  @Option(names = "--tag", defaultValue = "serve",
      description = "Tags of the meta graph to load, comma-separated. Default: ${DEFAULT-VALUE}.")
  String tag;

  @Option(names = "--signature", description = "Signature key (default: serving_default, or "
      + "the model's only signature).")
  String signature;

  @Spec
  CommandSpec commandSpec;

  @Override
  public Integer call() throws Exception {
    java.io.PrintWriter stdout = commandSpec.commandLine().getOut();
    Set<String> tags = new LinkedHashSet<>();
    for (String t : tag.split(",")) {
      if (!t.isBlank()) {
        tags.add(t.strip());
      }
    }
    if (tags.isEmpty()) {
      throw new IllegalArgumentException("--tag is empty: pass the meta graph's tags, e.g. "
          + "--tag serve");
    }
    String key = SavedModelFiles.check(savedModel, tags, signature);
    RunReport report = null;
    Path reportFile = savedModel.resolve("report.json");
    if (Files.isRegularFile(reportFile)) {
      try {
        report = RunReport.fromJson(Files.readAllBytes(reportFile));
      } catch (java.io.UncheckedIOException e) {
        throw new IllegalArgumentException(reportFile + " cannot be read as a tf-prune report ("
            + e.getCause().getMessage().lines().findFirst().orElse("") + "): delete it, or "
            + "restore it from the export, and pass --dataset", e);
      }
    }
    boolean dataGiven = commandSpec.commandLine().getParseResult().hasMatchedOption("--data");
    boolean files = dataGiven && !data.isNamedDataset();
    String name = files ? data.name() : dataGiven ? data.dataset
        : report != null ? report.settings().dataset() : null;
    if (name == null) {
      throw new IllegalArgumentException("no report.json in " + savedModel + ": pass --data "
          + "(a data set name, or your files)");
    }
    LabeledImages test;
    if (files) {
      test = data.loadEvaluation();
    } else {
      Datasets.Split split = data.dataDir != null ? Datasets.load(name, data.dataDir)
          : Datasets.load(name);
      test = split.test();
      int limit = data.testLimit > 0 ? data.testLimit
          : report != null ? report.settings().testExamples() : 0;
      if (limit > 0 && limit < test.count()) {
        test = test.head(limit);
      }
    }
    if (test.count() == 0) {
      throw new IllegalArgumentException("the " + name + " test set is empty: check the data "
          + "files (--data-dir)");
    }
    int correct = 0;
    try (SavedModelBundle b = SavedModelFiles.load(savedModel, tags)) {
      // tf-prune's own interface, or the one a pruned model kept from its original
      SessionFunction f = b.function(key);
      Signature sig = f.signature();
      String input = imagesInput(sig);
      if (input == null) {
        throw new IllegalArgumentException("signature '" + key + "' of " + savedModel + " has "
            + sig.inputNames().size() + " inputs " + sig.inputNames() + " and none stands out "
            + "as the images; evaluate feeds one input (a batch of images): pass --signature "
            + "with a one-input signature");
      }
      // the logits, or any output whose argmax is the class (e.g. the probabilities)
      // (a float output: a kept ArgMax or TopK output holds integers)
      String output = sig.outputNames().contains(InferenceModel.LOGITS) ? InferenceModel.LOGITS
          : new java.util.TreeSet<>(sig.outputNames()).stream().filter(o -> sig.getOutputs()
              .get(o).dataType == org.tensorflow.proto.DataType.DT_FLOAT).findFirst()
              .orElse(new java.util.TreeSet<>(sig.outputNames()).first());
      checkInputShape(sig.getInputs().get(input).shape, test, name);
      stdout.println(describe(sig));
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
        Shape in = sig.getInputs().get(input).shape;
        if (in.numDimensions() == 2) {
          shape = new long[] {len, test.featureSize()};
        } else if (!in.isUnknown() && in.numDimensions() != shape.length) {
          shape = in.asArray().clone(); // the same values in the model's shape ([N, 28, 28])
          shape[0] = len;
        }
        try (TFloat32 x = TFloat32.tensorOf(Shape.of(shape),
                DataBuffers.of(test.features(idx), true, false));
            Result r = sig.inputNames().size() == 1 ? f.call(Map.of(input, x))
                : callImagesOnly(b, sig, input, output, x)) {
          HostTensor logits = HostTensor.of((TFloat32) (sig.inputNames().size() == 1
              ? r.get(output).orElseThrow() : r.get(0)));
          long outputs = logits.size() / Math.max(1, len);
          // your files' classes are their largest label + 1: a model may have more outputs
          if (logits.size() % len != 0 || (files ? outputs < nc : outputs != nc)) {
            throw new IllegalArgumentException("output '" + output + "' of " + savedModel
                + " gives " + outputs + " values per example but " + name + " has " + nc
                + " classes: evaluate the model on the data set it was trained for");
          }
          correct += PruneRun.correct(logits, test.labels(idx), (int) outputs);
        }
      }
      double acc = (double) correct / n;
      stdout.printf("%s: test accuracy %.2f%% on %d %s test examples (loaded with "
          + "SavedModelBundle.load, signature %s, output %s)%n", savedModel, 100 * acc, n, name,
          sig.key(), output);
      if (report != null && files && !(name.equals(report.settings().dataset())
          && n == report.settings().testExamples())) {
        stdout.printf("report.json was measured on %d %s examples: not compared%n",
            report.settings().testExamples(), report.settings().dataset());
        return 0;
      }
      if (report != null && report.compact().testAccuracy() != null) {
        double reported = report.compact().testAccuracy();
        boolean same = Math.abs(reported - acc) < 1e-9;
        stdout.printf("report.json says %.2f%%: %s%n", 100 * reported,
            same ? "reproduced" : "DIFFERENT");
        return same ? 0 : 1;
      }
      return 0;
    }
  }

  /**
   * The input that takes the images: the only one, else the float input of rank two or more with
   * the most values per example (beside a key passed through); null when none stands out.
   */
  static String imagesInput(Signature sig) {
    if (sig.inputNames().size() == 1) {
      return sig.inputNames().iterator().next();
    }
    String best = null;
    long most = 0;
    boolean tie = false;
    for (String name : new java.util.TreeSet<>(sig.inputNames())) {
      Signature.TensorDescription d = sig.getInputs().get(name);
      if (d.dataType != org.tensorflow.proto.DataType.DT_FLOAT || d.shape.isUnknown()
          || d.shape.numDimensions() < 2) {
        continue;
      }
      long size = 1;
      for (int i = 1; i < d.shape.numDimensions(); i++) {
        size = d.shape.size(i) < 0 || size < 0 ? -1 : size * d.shape.size(i);
      }
      if (size > most) {
        best = name;
        most = size;
        tie = false;
      } else if (size == most) {
        tie = true;
      }
    }
    return tie || most <= 1 ? null : best;
  }

  /**
   * Runs {@code output} of a signature with several inputs fed the images at {@code input} only
   * (the other inputs, a key passed through, feed other outputs).
   */
  private static Result callImagesOnly(SavedModelBundle b, Signature sig, String input,
      String output, TFloat32 x) {
    return b.session().runner().feed(sig.getInputs().get(input).name, x)
        .fetch(sig.getOutputs().get(output).name).run();
  }

  /**
   * Refuses data whose images do not have the shape the model reads: the signature's input shape
   * without its batch dimension, or, for a flat input, the number of values per image.
   */
  static void checkInputShape(Shape input, LabeledImages data, String dataset) {
    if (input.isUnknown() || input.numDimensions() < 2) {
      return; // the model takes any shape: nothing to compare
    }
    int[] fs = data.featureShape();
    long[] dims = new long[input.numDimensions() - 1];
    long size = 1;
    for (int i = 0; i < dims.length; i++) {
      dims[i] = input.size(i + 1);
      size = dims[i] < 0 || size < 0 ? -1 : size * dims[i];
    }
    boolean fits;
    if (dims.length == 1) { // a flat input reads the image's values in row-major order
      fits = dims[0] < 0 || dims[0] == data.featureSize();
    } else if (dims.length != fs.length && size > 0) { // e.g. [28, 28] for [28, 28, 1] images
      fits = size == data.featureSize();
    } else {
      fits = dims.length == fs.length;
      for (int i = 0; fits && i < fs.length; i++) {
        fits = dims[i] < 0 || dims[i] == fs[i];
      }
    }
    if (!fits) {
      StringBuilder shape = new StringBuilder("[?");
      for (long d : dims) {
        shape.append(", ").append(d < 0 ? "?" : Long.toString(d));
      }
      shape.append(']');
      throw new IllegalArgumentException("the model's input has shape " + shape
          + (size > 0 ? " (" + size + " values per example)" : "") + " but the " + dataset
          + " test images have shape " + java.util.Arrays.toString(fs) + " ("
          + data.featureSize() + " values): evaluate the model on the data set it was trained "
          + "on (--dataset, --data-dir)");
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
