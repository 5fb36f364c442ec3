package org.tfprune.examples.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.tfprune.examples.data.Datasets;

/** One in-process run of {@code tf-prune}: its exit code and what it printed. */
record CliRun(int exitCode, String out, String err) {
  static CliRun of(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = TfPruneCli.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new CliRun(code, out.toString(), err.toString());
  }

  /** The MNIST files the tests use (fetched by {@code scripts/fetch-mnist.sh}). */
  static Path mnist() {
    return Datasets.defaultRoot(Datasets.MNIST).orElseThrow(() -> new AssertionError(
        "MNIST not found: run bash scripts/fetch-mnist.sh"));
  }
}
