package org.tfprune.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KeepMaskTest {
  @Test
  void fromThetaKeepsExactlyTheGatesWithThetaAtLeastHalf() {
    Map<String, float[]> theta = new LinkedHashMap<>();
    theta.put("a", new float[] {0f, 0.4999f, 0.5f, 0.75f, 1f});
    KeepMask m = KeepMask.fromTheta(theta);
    assertThat(m.flags("a")).containsExactly(false, false, true, true, true);
    assertThat(m.kept("a")).containsExactly(2, 3, 4);
    assertThat(m.count("a")).isEqualTo(3);
    assertThat(m.removed()).isEqualTo(2);
  }

  @Test
  void allKeepsEveryGateOfEveryGroup() {
    ArchitectureSpec s = ArchitectureSpec.of("s", InputSpec.flat(5, true),
        DenseLayer.gatedRelu("h", 3), DenseLayer.logits("out", 2));
    KeepMask m = KeepMask.all(s);
    assertThat(m.groups()).containsExactly("input", "h");
    assertThat(m.count("input")).isEqualTo(5);
    assertThat(m.count("h")).isEqualTo(3);
    assertThat(m.removed()).isZero();
  }

  @Test
  void maskIsImmutableAgainstArraysHandedInAndOut() {
    boolean[] flags = {true, false, true};
    KeepMask m = KeepMask.of(Map.of("g", flags));
    flags[1] = true;
    assertThat(m.flags("g")).containsExactly(true, false, true);
    m.flags("g")[0] = false;
    assertThat(m.kept("g")).containsExactly(0, 2);
  }

  @Test
  void equalMasksAreEqualAndHashAlike() {
    KeepMask a = KeepMask.of(Map.of("g", new boolean[] {true, false}));
    KeepMask b = KeepMask.of(Map.of("g", new boolean[] {true, false}));
    KeepMask c = KeepMask.of(Map.of("g", new boolean[] {true, true}));
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b).isNotEqualTo(c);
  }

  @Test
  void unknownGroupIsReportedWithTheKnownGroups() {
    KeepMask m = KeepMask.of(Map.of("g", new boolean[] {true}));
    assertThat(m.has("g")).isTrue();
    assertThat(m.has("x")).isFalse();
    assertThatThrownBy(() -> m.flags("x")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'x'").hasMessageContaining("[g]");
  }
}
