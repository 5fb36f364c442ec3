package org.tfprune.examples.experiments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MarkdownTableTest {
  @Test
  void rendersTitleHeaderSeparatorAndEscapedCells() {
    String md = MarkdownTable.builder("Runs", "a", "b").row(1, "x|y").row("2", 3.5).build()
        .toMarkdown();
    assertThat(md).isEqualTo("**Runs**\n\n| a | b |\n|---|---|\n| 1 | x\\|y |\n| 2 | 3.5 |\n");
  }

  @Test
  void aRowWithTheWrongNumberOfCellsIsRefused() {
    assertThatThrownBy(() -> MarkdownTable.builder("t", "a", "b").row(1).build())
        .hasMessageContaining("a row has 1 cells, the header 2");
  }
}
