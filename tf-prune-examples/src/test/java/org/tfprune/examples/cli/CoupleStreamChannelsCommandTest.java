package org.tfprune.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tfprune.examples.report.RunReport;

/** {@code tf-prune train --couple-stream-channels}: a residual run end to end, and bad input. */
class CoupleStreamChannelsCommandTest {
  private static String[] args(Path out, String model, String... extra) {
    java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of("train", "--model",
        model, "--couple-stream-channels", "--data-dir", CliRun.mnist().toString(),
        "--train-limit", "200", "--test-limit", "100", "--epochs", "1", "--finetune-epochs", "0",
        "--batch-size", "100", "--no-baseline", "--latency-budget-ms", "0", "--quiet", "--out",
        out.toString()));
    a.addAll(java.util.List.of(extra));
    return a.toArray(String[]::new);
  }

  @Test
  void aResNetRunReportsItsStreamWidthsPerStageAndExportsExactly(@TempDir Path tmp)
      throws Exception {
    Path out = tmp.resolve("run");
    CliRun r = CliRun.of(args(out, "resnet-20", "--width-multiplier", "0.25", "--strength", "8"));
    assertThat(r.exitCode()).as(r.err()).isZero();
    RunReport report = RunReport.fromJson(Files.readAllBytes(out.resolve("report.json")));
    assertThat(report.dense().streamWidths()).containsExactly(java.util.Map.entry("stream1", 4),
        java.util.Map.entry("stream2", 8), java.util.Map.entry("stream3", 16));
    assertThat(report.compact().streamWidths()).containsOnlyKeys("stream1", "stream2",
        "stream3");
    assertThat(report.export().maxAbsDiff()).isLessThanOrEqualTo(1e-5);
    assertThat(report.export().graphMacs()).isEqualTo(report.compact().macs());
    assertThat(report.export().graphParams()).isEqualTo(report.compact().params());
    assertThat(r.out()).contains("residual stream channels per stage (coupled): dense 4-8-16, "
        + "compact " + report.compact().streamWidthString());
  }

  @Test
  void theOptionOnAModelWithoutResidualStagesIsRefused(@TempDir Path tmp) {
    Path out = tmp.resolve("run");
    CliRun r = CliRun.of(args(out, "lenet-5"));
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("model lenet-5 has no residual stages")
        .contains("--couple-stream-channels").contains("resnet-20");
    assertThat(out).doesNotExist();
  }

  @Test
  void pruneCouplesTheStreamChannelsOfAnImportedResidualNet(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("pruned");
    CliRun r = CliRun.of("prune", "--saved-model",
        org.tfprune.testing.ForeignModels.residualNet().toString(), "--couple-stream-channels",
        "--data-dir", CliRun.mnist().toString(), "--train-limit", "500", "--test-limit", "200",
        "--epochs", "2", "--finetune-epochs", "0", "--batch-size", "100", "--strength", "8",
        "--latency-budget-ms", "0", "--quiet", "--out", out.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    RunReport report = RunReport.fromJson(Files.readAllBytes(out.resolve("report.json")));
    assertThat(report.dense().streamWidths()).containsOnlyKeys("stream1", "stream2");
    assertThat(report.compact().streamWidths()).containsOnlyKeys("stream1", "stream2");
    assertThat(report.imported().notes()).anyMatch(n -> n.contains("stream channels coupled"));
    assertThat(report.export().maxAbsDiff()).isLessThanOrEqualTo(1e-5);
    assertThat(report.export().graphMacs()).isEqualTo(report.compact().macs());
    assertThat(r.out()).contains("residual stream channels per stage (coupled)");
  }

  @Test
  void pruneRefusesTheOptionForAnImportedModelWithoutResidualStages(@TempDir Path tmp) {
    Path out = tmp.resolve("pruned");
    CliRun r = CliRun.of("prune", "--saved-model",
        org.tfprune.testing.ForeignModels.mlp().toString(), "--couple-stream-channels",
        "--data-dir", CliRun.mnist().toString(), "--train-limit", "500", "--test-limit", "200",
        "--epochs", "1", "--quiet", "--out", out.toString());
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("no residual stage").contains("--couple-stream-channels");
    assertThat(out).doesNotExist();
  }
}
