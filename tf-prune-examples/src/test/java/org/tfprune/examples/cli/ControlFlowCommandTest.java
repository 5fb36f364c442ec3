package org.tfprune.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tfprune.testing.ControlFlowModels;
import org.tfprune.testing.ControlFlowModels.Predicate;
import org.tfprune.testing.TableModels;

/**
 * {@code tf-prune inspect} and {@code prune} on TF1 models with an {@code is_training} switch
 * inside the network and with class names looked up in a hash table: what was folded or
 * rewritten is printed; a predicate computed from the data is refused with exit code 2, naming
 * the Switch, and nothing is written.
 */
class ControlFlowCommandTest {
  @TempDir Path tmp;

  @Test
  void inspectSaysWhichPredicateWasFoldedAndToWhichValue() {
    Path m = tmp.resolve("bn-cond");
    ControlFlowModels.write(m, Predicate.DEFAULT_FALSE);
    CliRun r = CliRun.of("inspect", "--saved-model", m.toString());
    assertThat(r.exitCode()).as(r.err() + r.out()).isZero();
    assertThat(r.out()).contains("control flow folded: predicate is_training = false");

    Path p = tmp.resolve("bn-placeholder");
    ControlFlowModels.write(p, Predicate.PLACEHOLDER);
    CliRun unfed = CliRun.of("inspect", "--saved-model", p.toString());
    assertThat(unfed.exitCode()).isEqualTo(TfPruneCli.EXIT_BAD_INPUT);
    assertThat(unfed.out()).contains("can be pruned: no").contains("--feed is_training=false");
    CliRun fed = CliRun.of("inspect", "--saved-model", p.toString(), "--feed",
        "is_training=false");
    assertThat(fed.exitCode()).as(fed.err() + fed.out()).isZero();
    assertThat(fed.out()).contains("control flow folded: predicate is_training = false");
  }

  @Test
  void pruneRefusesAPredicateComputedFromTheDataNamingTheSwitchAndWritesNothing() {
    Path m = tmp.resolve("bn-data");
    ControlFlowModels.write(m, Predicate.FROM_DATA);
    Path out = tmp.resolve("out");
    CliRun r = CliRun.of("prune", "--saved-model", m.toString(), "--data", "mnist",
        "--data-dir", CliRun.mnist().toString(), "--train-limit", "500", "--test-limit", "100",
        "--epochs", "1", "--out", out.toString());
    assertThat(r.exitCode()).as(r.err() + r.out()).isEqualTo(TfPruneCli.EXIT_BAD_INPUT);
    assertThat(r.err()).contains("Switch 'conv1/batch_normalization/cond/Switch_")
        .contains("computed from the data");
    assertThat(Files.exists(out)).isFalse();
  }

  @Test
  void inspectSaysAHashTableLookupIsKeptAsAConstantAndGather() {
    Path m = tmp.resolve("table");
    TableModels.write(m);
    CliRun r = CliRun.of("inspect", "--saved-model", m.toString());
    assertThat(r.exitCode()).as(r.err() + r.out()).isZero();
    assertThat(r.out()).contains("LookupTableFindV2 class_names looks up class names in a hash "
        + "table filled from constants");
  }
}
