package org.tfprune.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** How the export options of train and prune resolve. */
class RunOptionsTest {
  private static RunOptions parse(String... args) {
    RunOptions options = new RunOptions();
    new CommandLine(options).parseArgs(args);
    return options;
  }

  @Test
  void inputsAreReadAsASliceUnlessAMacsBudgetCountsWhatIsComputed() {
    assertThat(parse().export(false).inputSpan()).isTrue();
    // a MACs budget: the kept features exactly, so the graph computes what the budget counted
    assertThat(parse().export(true).inputSpan()).isFalse();
    // an explicit choice stands either way
    assertThat(parse("--input-span").export(true).inputSpan()).isTrue();
    assertThat(parse("--no-input-span").export(false).inputSpan()).isFalse();
  }

  @Test
  void batchNormIsFoldedAndWidthsKeptUnlessAsked() {
    assertThat(parse().export(false).foldBatchNorm()).isTrue();
    assertThat(parse().export(false).roundWidths()).isEqualTo(1);
    assertThat(parse("--no-fold-batch-norm", "--round-widths", "8").export(false))
        .satisfies(s -> {
          assertThat(s.foldBatchNorm()).isFalse();
          assertThat(s.roundWidths()).isEqualTo(8);
        });
  }
}
