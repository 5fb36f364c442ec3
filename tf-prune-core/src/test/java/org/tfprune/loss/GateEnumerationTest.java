package org.tfprune.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Exact expectations over gate states, checked against closed forms and finite differences. */
class GateEnumerationTest {
  @Test
  void probabilitiesOfAllStatesSumToOne() {
    double[] theta = {0.2, 0.7, 0.5};
    double sum = 0;
    for (int st = 0; st < GateEnumeration.states(3); st++) {
      sum += GateEnumeration.probability(st, theta);
    }
    assertThat(sum).isCloseTo(1.0, within(1e-12));
    assertThat(GateEnumeration.probability(0b101, theta)).isCloseTo(0.2 * 0.3 * 0.5,
        within(1e-12));
  }

  @Test
  void gradientOfAProductOfGatesIsTheProductOfTheOthers() {
    // f = xi_0 * xi_1 + 3 xi_2: E[f] = t0 t1 + 3 t2
    double[] theta = {0.3, 0.6, 0.9};
    double[] f = new double[8];
    for (int st = 0; st < 8; st++) {
      double[] v = GateEnumeration.gateValues(st, 3);
      f[st] = v[0] * v[1] + 3 * v[2];
    }
    assertThat(GateEnumeration.expectation(f, theta)).isCloseTo(0.3 * 0.6 + 3 * 0.9,
        within(1e-12));
    assertThat(GateEnumeration.exactGradient(f, theta)).containsExactly(
        new double[] {0.6, 0.3, 3.0}, within(1e-12));
  }

  @Test
  void gradientMatchesFiniteDifferencesOfTheExpectation() {
    double[] theta = {0.25, 0.5, 0.8, 0.4};
    double[] f = new double[16];
    for (int st = 0; st < 16; st++) {
      f[st] = Math.sin(st * 1.3) + st * st * 0.01;
    }
    double[] g = GateEnumeration.exactGradient(f, theta);
    double h = 1e-6;
    for (int k = 0; k < 4; k++) {
      double[] up = theta.clone();
      double[] down = theta.clone();
      up[k] += h;
      down[k] -= h;
      double fd = (GateEnumeration.expectation(f, up) - GateEnumeration.expectation(f, down))
          / (2 * h);
      assertThat(g[k]).as("gate %d", k).isCloseTo(fd, within(1e-8));
    }
  }

  @Test
  void refusesMismatchedStatesAndProbabilitiesOutsideTheUnitInterval() {
    assertThatThrownBy(() -> GateEnumeration.expectation(new double[3], new double[] {0.5, 0.5}))
        .hasMessageContaining("2 gates have 4 states, got 3");
    assertThatThrownBy(() -> GateEnumeration.exactGradient(new double[2], new double[] {1.5}))
        .hasMessageContaining("[0, 1]");
    assertThatThrownBy(() -> GateEnumeration.states(21)).hasMessageContaining("1 to 20");
  }
}
