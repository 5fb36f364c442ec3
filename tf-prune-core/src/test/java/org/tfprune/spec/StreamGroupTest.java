package org.tfprune.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.collect.ImmutableList;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tfprune.testing.TinyResNet;

/** Coupled stream channels in the spec: derivation, validation and compaction. */
class StreamGroupTest {
  private static ArchitectureSpec plain() {
    return TinyResNet.plain();
  }

  private static ArchitectureSpec coupled() {
    return TinyResNet.coupled();
  }

  @Test
  void oneSharedGateGroupPerStageGatesTheStreamChannels() {
    ArchitectureSpec spec = coupled();
    assertThat(spec.streams()).containsExactly(StreamGroup.of("stream1", "stem", "s1b0", "s1b1"),
        StreamGroup.of("stream2", "s2b0", "s2b1"));
    assertThat(spec.gateGroups()).extracting(GateGroup::name).containsExactly("stream1",
        "s1b0_conv1", "s1b0", "s1b1_conv1", "s1b1", "s2b0_conv1", "s2b0", "stream2",
        "s2b1_conv1", "s2b1");
    assertThat(spec.gateGroups().get(0)).isEqualTo(new GateGroup("stream1", 8,
        GateGroup.Kind.UNIT, false));
    assertThat(spec.streamWidths()).containsExactly(Map.entry("stream1", 8),
        Map.entry("stream2", 16));
    // the default stays as it was: no stream groups, the same string form
    assertThat(plain().streams()).isEmpty();
    assertThat(plain().toString()).doesNotContain("streams");
    assertThat(spec.withoutGates().gateGroups()).isEmpty();
    assertThat(spec.withoutGates().streamWidths()).isEqualTo(spec.streamWidths());
  }

  @Test
  void aModelWithoutResidualStagesIsRefusedWithAClearMessage() {
    ArchitectureSpec conv = ArchitectureSpec.of("lenet", InputSpec.of(28, 28, 1),
        Conv2DLayer.bnRelu("conv0", 4, 1), PoolLayer.max2("pool0"), new FlattenLayer("flat"),
        DenseLayer.logits("output", 10));
    assertThatThrownBy(conv::withCoupledStreamChannels)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("spec lenet has no residual stage")
        .hasMessageContaining("leave the option off");
  }

  @Test
  void streamGroupsThatAreNotAResidualStageAreRefused() {
    ImmutableList<LayerSpec> layers = plain().layers();
    InputSpec in = plain().input();
    assertThatThrownBy(() -> new ArchitectureSpec("s", in, layers,
        ImmutableList.of(StreamGroup.of("stream1", "stem", "s1b0"))))
        .hasMessageContaining("block 's1b1' adds stream group 'stream1'")
        .hasMessageContaining("list it in the group");
    assertThatThrownBy(() -> new ArchitectureSpec("s", in, layers,
        ImmutableList.of(StreamGroup.of("stream1", "s1b0", "s1b1"))))
        .hasMessageContaining("must start with the layer that creates the stream");
    assertThatThrownBy(() -> new ArchitectureSpec("s", in, layers,
        ImmutableList.of(StreamGroup.of("stream1", "stem", "s1b1", "s1b0"))))
        .hasMessageContaining("'s1b1' must be the identity-shortcut block right after 'stem'");
    assertThatThrownBy(() -> new ArchitectureSpec("s", in, layers,
        ImmutableList.of(StreamGroup.of("s1b0_conv1", "s2b0", "s2b1"))))
        .hasMessageContaining("'s1b0_conv1'").hasMessageContaining("clashes");
    assertThatThrownBy(() -> new ArchitectureSpec("s", in, layers,
        ImmutableList.of(StreamGroup.of("stream2", "s2b0", "s2b1", "nowhere"))))
        .hasMessageContaining("'nowhere', which is not a layer");
    ImmutableList<LayerSpec> gatedStem = ImmutableList.<LayerSpec>builder()
        .add(Conv2DLayer.bnRelu("stem", 8, 2)).addAll(layers.subList(1, layers.size())).build();
    assertThatThrownBy(() -> new ArchitectureSpec("s", in, gatedStem,
        ImmutableList.of(StreamGroup.of("stream1", "stem", "s1b0", "s1b1"))))
        .hasMessageContaining("an ungated conv");
    // the derivation turns the head conv's own filter gates off instead
    ArchitectureSpec derived = new ArchitectureSpec("s", in, gatedStem)
        .withCoupledStreamChannels();
    assertThat(derived.layer("stem").gated()).isFalse();
  }

  @Test
  void compactionRemovesStreamChannelsEverywhereAndComposes() {
    ArchitectureSpec spec = coupled();
    Map<String, boolean[]> m = new LinkedHashMap<>();
    for (GateGroup g : spec.gateGroups()) {
      boolean[] k = new boolean[g.size()];
      java.util.Arrays.fill(k, true);
      m.put(g.name(), k);
    }
    m.get("stream1")[1] = false;
    m.get("stream1")[6] = false;
    m.get("stream2")[0] = false;
    m.put("s1b1", new boolean[] {false});
    m.put("s2b0", new boolean[] {false});
    ArchitectureSpec c = spec.compact(KeepMask.of(m));
    assertThat(c.layers()).extracting(LayerSpec::name).containsExactly("stem", "s1b0",
        "s2b0_shortcut", "s2b1", "gap", "output");
    assertThat(c.streams()).containsExactly(StreamGroup.of("stream1", "stem", "s1b0"),
        StreamGroup.of("stream2", "s2b0_shortcut", "s2b1"));
    assertThat(c.streamWidths()).containsExactly(Map.entry("stream1", 6),
        Map.entry("stream2", 15));
    assertThat(((ResidualBlock) c.layer("s1b0")).conv2().filters()).isEqualTo(6);
    assertThat(c.shapes().get(c.layers().size() - 1).channels()).isEqualTo(15);
    // a second compaction of the compact spec equals one compaction with the composed mask
    Map<String, boolean[]> m2 = new LinkedHashMap<>();
    for (GateGroup g : c.gateGroups()) {
      boolean[] k = new boolean[g.size()];
      java.util.Arrays.fill(k, true);
      m2.put(g.name(), k);
    }
    m2.get("stream2")[3] = false;
    KeepMask inner = KeepMask.of(m2);
    KeepMask composed = KeepMask.compose(spec, KeepMask.of(m), inner);
    assertThat(c.compact(inner)).isEqualTo(spec.compact(composed));
    assertThat(c.compact(inner).streamWidths()).containsEntry("stream2", 14);
    m.put("stream2", new boolean[16]);
    assertThatThrownBy(() -> spec.compact(KeepMask.of(m)))
        .hasMessageContaining("removes every channel of stream group 'stream2'");
  }
}
