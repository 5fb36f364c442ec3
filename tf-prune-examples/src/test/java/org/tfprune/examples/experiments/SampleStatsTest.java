package org.tfprune.examples.experiments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class SampleStatsTest {
  @Test
  void meanSampleStdCoefficientOfVariationAndSpread() {
    SampleStats s = SampleStats.of(List.of(2, 4, 4, 4, 5, 5, 7, 9));
    assertThat(s.n()).isEqualTo(8);
    assertThat(s.mean()).isEqualTo(5.0);
    assertThat(s.std()).isCloseTo(Math.sqrt(32.0 / 7), within(1e-12));
    assertThat(s.cv()).isCloseTo(Math.sqrt(32.0 / 7) / 5, within(1e-12));
    assertThat(s.spread()).isEqualTo(7.0);
  }

  @Test
  void oneValueHasNoSpreadAndEmptyOrNonFiniteSamplesAreRefused() {
    SampleStats s = SampleStats.of(List.of(3.5));
    assertThat(s.std()).isZero();
    assertThat(s.cv()).isZero();
    assertThatThrownBy(() -> SampleStats.of(List.<Double>of())).hasMessageContaining("no values");
    assertThatThrownBy(() -> SampleStats.of(List.of(1.0, Double.NaN)))
        .hasMessageContaining("finite");
  }
}
