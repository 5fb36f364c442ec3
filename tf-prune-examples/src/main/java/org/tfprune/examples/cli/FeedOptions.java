package org.tfprune.examples.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses {@code --feed NAME=VALUE} (repeatable): values for training-only placeholders (a
 * boolean flag's {@code true}/{@code false} as 1/0).
 */
final class FeedOptions {
  private FeedOptions() {}

  /** The values by placeholder name; refuses a malformed entry naming it and the form. */
  static Map<String, Float> parse(List<String> feeds) {
    Map<String, Float> m = new LinkedHashMap<>();
    if (feeds == null) {
      return m;
    }
    for (String f : feeds) {
      int eq = f.indexOf('=');
      float v = Float.NaN;
      String value = eq > 0 ? f.substring(eq + 1).strip() : "";
      if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) {
        v = value.equalsIgnoreCase("true") ? 1f : 0f; // a boolean flag such as is_training
      } else if (eq > 0) {
        try {
          v = Float.parseFloat(f.substring(eq + 1).strip());
        } catch (NumberFormatException e) {
          v = Float.NaN;
        }
      }
      if (eq <= 0 || !Float.isFinite(v)) {
        throw new IllegalArgumentException("--feed '" + f + "' is not NAME=VALUE with a number "
            + "or true/false (e.g. --feed keep_prob=1, --feed is_training=false)");
      }
      m.put(f.substring(0, eq).strip(), v);
    }
    return m;
  }
}
