package org.tfprune.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * One small data directory (the first 300 training and 200 test examples of MNIST) and one
 * LeNet-300-100 trained on it for one epoch and exported by {@code tf-prune train}, made once per
 * JVM for the tests of bad input, deleted when the JVM exits.
 */
final class TinyModel {
  private static Path root;

  private TinyModel() {}

  /** The directory holding {@code data/} and {@code model/}. */
  static synchronized Path root() {
    if (root == null) {
      try {
        Path dir = Files.createTempDirectory("tf-prune-bad-input");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
          try {
            MoreFiles.deleteRecursively(dir, RecursiveDeleteOption.ALLOW_INSECURE);
          } catch (IOException e) {
            // a leftover temporary directory
          }
        }));
        IdxFixture.mnistSubset(CliRun.mnist(), dir.resolve("data"), 300, 200);
        CliRun r = CliRun.of("train", "--data-dir", dir.resolve("data").toString(), "--epochs",
            "1", "--batch-size", "50", "--no-baseline", "--no-checkpoint", "--quiet", "--out",
            dir.resolve("model").toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        root = dir;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return root;
  }

  static Path data() {
    return root().resolve("data");
  }

  static Path model() {
    return root().resolve("model");
  }

  /** A copy of the directory {@code from} (recursively) at {@code to}. */
  static Path copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t);
        }
      }
    }
    return to;
  }

  /** The names in {@code dir}, sorted. */
  static java.util.List<String> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
