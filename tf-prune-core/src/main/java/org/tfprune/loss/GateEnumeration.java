package org.tfprune.loss;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * Exact expectations over every state of {@code n} independent Bernoulli gates, for checking
 * gradient estimators on tiny networks. State {@code s} is a bit field: gate {@code k} is open iff
 * bit {@code k} of {@code s} is set. A function of the gates is given by its value in each of the
 * {@code 2^n} states. Because such an expectation is affine in each {@code theta_k}, its exact
 * gradient is {@code E[f | xi_k = 1] - E[f | xi_k = 0]}.
 */
public final class GateEnumeration {
  /** Largest number of gates enumerated (2^20 states). */
  public static final int MAX_GATES = 20;

  private GateEnumeration() {}

  /** Number of states of {@code gates} gates. */
  public static int states(int gates) {
    checkArgument(gates > 0 && gates <= MAX_GATES, "can enumerate 1 to %s gates, got %s",
        MAX_GATES, gates);
    return 1 << gates;
  }

  /** Whether gate {@code k} is open (1) or closed (0) in {@code state}. */
  public static int bit(int state, int k) {
    return state >> k & 1;
  }

  /** The gate values of {@code state} as 0/1 numbers. */
  public static double[] gateValues(int state, int gates) {
    double[] v = new double[gates];
    for (int k = 0; k < gates; k++) {
      v[k] = bit(state, k);
    }
    return v;
  }

  /** Probability of {@code state} when gate {@code k} is open with probability theta[k]. */
  public static double probability(int state, double[] theta) {
    double p = 1;
    for (int k = 0; k < theta.length; k++) {
      p *= bit(state, k) == 1 ? theta[k] : 1 - theta[k];
    }
    return p;
  }

  /** {@code E[f]} where {@code f} has value {@code perState[s]} in state {@code s}. */
  public static double expectation(double[] perState, double[] theta) {
    checkStates(perState, theta);
    double e = 0;
    for (int st = 0; st < perState.length; st++) {
      e += probability(st, theta) * perState[st];
    }
    return e;
  }

  /** The exact gradient {@code dE[f]/dtheta_k = E[f | xi_k = 1] - E[f | xi_k = 0]}. */
  public static double[] exactGradient(double[] perState, double[] theta) {
    checkStates(perState, theta);
    double[] g = new double[theta.length];
    for (int k = 0; k < theta.length; k++) {
      double on = 0;
      double off = 0;
      for (int st = 0; st < perState.length; st++) {
        double pOthers = 1;
        for (int j = 0; j < theta.length; j++) {
          if (j != k) {
            pOthers *= bit(st, j) == 1 ? theta[j] : 1 - theta[j];
          }
        }
        if (bit(st, k) == 1) {
          on += pOthers * perState[st];
        } else {
          off += pOthers * perState[st];
        }
      }
      g[k] = on - off;
    }
    return g;
  }

  private static void checkStates(double[] perState, double[] theta) {
    checkArgument(perState.length == states(theta.length),
        "%s gates have %s states, got %s values", theta.length, states(theta.length),
        perState.length);
    for (double t : theta) {
      checkArgument(t >= 0 && t <= 1, "gate probabilities must be in [0, 1], got %s", t);
    }
  }
}
