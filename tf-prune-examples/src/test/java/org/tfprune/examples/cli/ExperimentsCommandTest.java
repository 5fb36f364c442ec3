package org.tfprune.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.common.collect.ImmutableList;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.tfprune.examples.data.Datasets;
import org.tfprune.examples.experiments.EstimatorBudget;
import org.tfprune.examples.experiments.ExperimentPlan;
import org.tfprune.examples.experiments.ExperimentProgress;
import org.tfprune.examples.experiments.ExperimentRunner;
import org.tfprune.examples.experiments.ResultsDirectory;
import org.tfprune.examples.experiments.ResultsWriter;
import org.tfprune.examples.experiments.Suites;
import org.tfprune.examples.experiments.TrainingBudget;

/**
 * {@code tf-prune experiments} end to end. Every suite runs once on a tiny plan (one seed, one
 * width, a few hundred images, a few epochs, one L1 probe): the results are moved into place,
 * results.md is well formed, every plot is a real PNG and every run and claim is reported. The
 * claims are not asserted on that run (it trains too little); the LeNet-300-100 robustness and
 * early-pruning claims and the estimator's are asserted on a run of the command itself with
 * {@code --size quick}'s budget and bounds.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExperimentsCommandTest {
  private static final Pattern IMAGE = Pattern.compile("!\\[[^]]*]\\(([^)]+)\\)");

  /**
   * Every grid with one entry but the strength sweep on LeNet-300-100 (two, for a front) and the
   * robustness data sets (both); LeNet-300-100 on 1000 images and LeNet-5 on 300, 3 epochs with
   * the last fine-tuning; the quick size's bounds.
   */
  private static final ExperimentPlan TINY = new ExperimentPlan("tiny",
      new TrainingBudget(1000, 500, 3, 1), new TrainingBudget(300, 300, 3, 1),
      ImmutableList.of(1L), ImmutableList.of(0.25), ImmutableList.of("mnist", "fashion-mnist"),
      ImmutableList.of(1.0, 4.0), ImmutableList.of(4.0), 4.0, 0.05, ImmutableList.of(1L), 1,
      new EstimatorBudget(1, 100, 16), ExperimentPlan.quick().thresholds());

  private Path tmp;
  private Path out;
  private String printed;
  private JsonNode json;

  @BeforeAll
  void runEverySuiteOnATinyPlan(@TempDir Path dir) throws IOException {
    tmp = dir;
    out = tmp.resolve("results");
    StringWriter log = new StringWriter();
    // Fashion-MNIST comes from its default directory (.cache/fashion-mnist).
    new ExperimentRunner(TINY, Suites.ALL, Map.of(Datasets.MNIST, CliRun.mnist()), 0).run(
        ResultsDirectory.create(out, false), "tiny plan", new ExperimentProgress(
            new PrintWriter(log, true), true));
    printed = log.toString();
    System.out.print(printed);
    json = ResultsWriter.mapper().readTree(out.resolve("results.json").toFile());
  }

  @Test
  void everySuiteRanAndTheResultsWereMovedIntoPlace() throws IOException {
    assertThat(json.get("complete").asBoolean()).isTrue();
    assertThat(json.get("size").asText()).isEqualTo("tiny");
    List<String> suites = new ArrayList<>();
    json.get("suites").forEach(s -> suites.add(s.get("name").asText()));
    assertThat(suites).containsExactlyElementsOf(Suites.names());
    try (Stream<Path> s = Files.list(tmp)) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactly("results");
    }
    assertThat(printed).contains("== suite robustness").contains("== suite knobs finished");
    List<String> datasets = new ArrayList<>();
    json.get("suites").get(0).get("runs").forEach(r -> datasets.add(r.get("dataset").asText()));
    assertThat(datasets).containsExactly("mnist", "fashion-mnist");
  }

  @Test
  void markdownTablesAreWellFormedAndEveryPlotIsARealPng() throws IOException {
    String md = Files.readString(out.resolve("results.md"));
    for (String title : List.of("## Robustness", "## Early pruning", "## Trade-off",
        "## Baselines at matched MACs", "## Estimator", "## Knobs", "**Claims**")) {
      assertThat(md).contains(title);
    }
    String[] lines = md.split("\n");
    int columns = -1;
    for (String line : lines) {
      if (!line.startsWith("|")) {
        columns = -1;
        continue;
      }
      int cells = line.replace("\\|", "").split("\\|", -1).length;
      if (columns < 0) {
        columns = cells;
      }
      assertThat(cells).as("cells in table line %s", line).isEqualTo(columns);
    }
    Matcher m = IMAGE.matcher(md);
    int images = 0;
    while (m.find()) {
      Path png = out.resolve(m.group(1));
      BufferedImage img = ImageIO.read(png.toFile());
      assertThat(img).as("%s is a readable PNG", png).isNotNull();
      assertThat(img.getWidth()).isGreaterThan(300);
      images++;
    }
    assertThat(images).isGreaterThanOrEqualTo(8);
    json.get("suites").forEach(s -> s.get("plots").forEach(p ->
        assertThat(md).contains("(" + p.get("file").asText() + ")")));
  }

  @Test
  void everySuiteReportsItsClaimsWithWhatWasMeasured() {
    for (JsonNode s : json.get("suites")) {
      String suite = s.get("name").asText();
      assertThat(s.get("claims")).as(suite).isNotEmpty();
      for (JsonNode c : s.get("claims")) {
        assertThat(c.get("suite").asText()).isEqualTo(suite);
        assertThat(c.get("statement").asText()).isNotBlank();
        assertThat(c.get("measured").asText()).isNotBlank();
        assertThat(c.get("holds").isBoolean()).isTrue();
      }
    }
  }

  @Test
  void everyRunIsReportedWithItsEndOfRunThetaCheck() {
    double bound = TINY.thresholds().binary();
    int gated = 0;
    int ungated = 0;
    for (JsonNode s : json.get("suites")) {
      for (JsonNode r : s.get("runs")) {
        String label = r.get("label").asText();
        assertThat(r.get("macs").asLong()).as(label).isPositive();
        assertThat(r.get("macsPercent").asDouble()).as(label).isPositive()
            .isLessThanOrEqualTo(100);
        if (r.get("binaryFraction").isNull()) {
          assertThat(r.get("binaryOk").isNull()).as(label).isTrue();
          ungated++;
        } else {
          // the check reported is the plan's bound applied to the fraction reported
          assertThat(r.get("binaryOk").asBoolean()).as(label)
              .isEqualTo(r.get("binaryFraction").asDouble() >= bound);
          gated++;
        }
        if (List.of("scratch", "l1-norm", "l1-norm-units").contains(r.get("method").asText())) {
          assertThat(r.get("binaryFraction").isNull()).as(label).isTrue();
        }
      }
    }
    assertThat(gated).isGreaterThanOrEqualTo(8);
    assertThat(ungated).isGreaterThanOrEqualTo(3);
  }

  /**
   * At {@code --size quick}'s own budget (10000 MNIST images, 8 epochs, last 2 fine-tuning) and
   * bounds, two seeds of LeNet-300-100: final MACs and accuracy agree across seeds, 90% of the
   * pruning happens early, every theta ends binary; and the straight-through estimate points
   * like the exact gradient.
   */
  @Test
  void theQuickSizesClaimsOnLeNet300AndTheEstimatorHold(@TempDir Path own) throws IOException {
    Path results = own.resolve("claims");
    CliRun claims = CliRun.of("experiments", "--size", "quick", "--suite",
        "robustness,early-pruning,estimator", "--out", results.toString(), "--mnist-dir",
        CliRun.mnist().toString(), "--seeds", "2", "--widths", "1", "--robustness-datasets",
        "mnist", "--quiet");
    System.out.print(claims.out());
    assertThat(claims.exitCode()).as(claims.err()).isZero();
    assertThat(claims.out()).contains("results: " + results.resolve("results.md"));
    JsonNode j = ResultsWriter.mapper().readTree(results.resolve("results.json").toFile());
    assertThat(j.get("size").asText()).isEqualTo("quick");
    assertThat(j.get("complete").asBoolean()).isTrue();
    List<String> checked = new ArrayList<>();
    j.get("suites").forEach(s -> s.get("claims").forEach(c -> {
      assertThat(c.get("holds").asBoolean()).as("%s: %s (measured %s)", c.get("suite").asText(),
          c.get("statement").asText(), c.get("measured").asText()).isTrue();
      checked.add(c.get("suite").asText());
    }));
    assertThat(checked).contains("robustness", "early-pruning", "estimator");
    for (JsonNode r : j.get("suites").get(0).get("runs")) {
      assertThat(r.get("binaryFraction").asDouble()).as(r.get("label").asText())
          .isGreaterThanOrEqualTo(0.99);
    }
  }

  @Test
  void anExistingOutputIsRefusedAndAnUnknownSuiteListsTheKnownOnes(@TempDir Path own)
      throws IOException {
    Path existing = Files.createDirectories(own.resolve("taken"));
    CliRun taken = CliRun.of("experiments", "--suite", "estimator", "--out",
        existing.toString());
    assertThat(taken.exitCode()).isEqualTo(2);
    assertThat(taken.err()).contains("already exists").contains("--overwrite");
    CliRun unknown = CliRun.of("experiments", "--suite", "robustnes", "--out",
        own.resolve("x").toString());
    assertThat(unknown.exitCode()).isEqualTo(2);
    assertThat(unknown.err()).contains("unknown suite 'robustnes'").contains("early-pruning");
    try (Stream<Path> s = Files.list(own)) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactly("taken");
    }
  }
}
