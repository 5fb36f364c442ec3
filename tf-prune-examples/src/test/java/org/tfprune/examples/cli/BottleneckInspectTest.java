package org.tfprune.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tfprune.testing.LayerKindModels;

/** {@code tf-prune inspect} lists ResNet's bottleneck blocks with their two gated convs. */
class BottleneckInspectTest {
  @TempDir Path tmp;

  private JsonNode inspect(LayerKindModels.Kind kind) throws Exception {
    Path m = tmp.resolve(kind.name().toLowerCase());
    LayerKindModels.write(kind, m);
    CliRun r = CliRun.of("inspect", "--saved-model", m.toString(), "--json");
    assertThat(r.exitCode()).as(r.err() + r.out()).isZero();
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertThat(j.get("prunable").asBoolean()).isTrue();
    return j;
  }

  @Test
  void inspectListsResNet50sBottleneckBlocksAndTheirMiddleConvsGates() throws Exception {
    JsonNode j = inspect(LayerKindModels.Kind.BOTTLENECK_V1);
    JsonNode projection = j.get("layers").get(2);
    assertThat(projection.get("name").asText()).isEqualTo("conv2_block1");
    assertThat(projection.get("type").asText())
        .isEqualTo("bottleneck residual block (projection shortcut)");
    assertThat(projection.get("innerWidth").asInt()).isEqualTo(6);
    assertThat(projection.get("middleWidth").asInt()).isEqualTo(6);
    assertThat(j.get("layers").get(3).get("type").asText())
        .isEqualTo("bottleneck residual block (identity shortcut)");
    assertThat(j.get("gateGroups").toString()).contains("conv2_block1_1")
        .contains("conv2_block1_2").contains("conv2_block2_2");
  }

  @Test
  void inspectListsResNet50V2sSubsampledShortcut() throws Exception {
    JsonNode j = inspect(LayerKindModels.Kind.BOTTLENECK_V2);
    JsonNode last = j.get("layers").get(3);
    assertThat(last.get("name").asText()).isEqualTo("conv2_block2");
    assertThat(last.get("type").asText())
        .isEqualTo("bottleneck residual block (subsampled identity shortcut)");
    assertThat(last.get("middleWidth").asInt()).isEqualTo(6);
  }
}
