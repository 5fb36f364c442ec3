package org.tfprune.examples.cli;

/** Checks of command-line values that name the option in their message. */
final class OptionChecks {
  private OptionChecks() {}

  /** Refuses negative {@code --train-limit} / {@code --test-limit} values. */
  static void dataLimits(DataOptions data) {
    if (data.trainLimit < 0 || data.testLimit < 0) {
      String option = data.trainLimit < 0 ? "--train-limit" : "--test-limit";
      throw new IllegalArgumentException("invalid " + option + ": must be >= 0 (0 = all "
          + "examples), got " + (data.trainLimit < 0 ? data.trainLimit : data.testLimit));
    }
  }

  /**
   * {@code e} with {@code "invalid OPTION: "} in front of its message, where OPTION follows the
   * first of the {@code (message start, option)} pairs whose start begins the message; {@code e}
   * itself when none does.
   */
  static IllegalArgumentException named(IllegalArgumentException e, String... startsAndOptions) {
    String m = String.valueOf(e.getMessage());
    for (int i = 0; i + 1 < startsAndOptions.length; i += 2) {
      if (m.startsWith(startsAndOptions[i])) {
        return new IllegalArgumentException("invalid " + startsAndOptions[i + 1] + ": " + m, e);
      }
    }
    return e;
  }
}
