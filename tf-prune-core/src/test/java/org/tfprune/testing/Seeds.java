package org.tfprune.testing;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Arrays;
import java.util.stream.LongStream;

/**
 * Seeds for tests whose claim must hold for any seed (two runs agree within noise, a run learns):
 * the system property {@value #PROPERTY} (e.g. {@code -Dtfprune.test.seeds=1,2,3}) replaces the
 * defaults, so an expensive test that runs one seed in CI can be run by hand over several.
 */
public final class Seeds {
  /** Comma-separated seeds that replace every parameterised test's defaults. */
  public static final String PROPERTY = "tfprune.test.seeds";

  private Seeds() {}

  /** A cheap test's seeds: the property's, or 1, 2 and 3. */
  public static LongStream cheap() {
    return fromProperty().orElse(LongStream.of(1, 2, 3));
  }

  /** An expensive test's seeds: the property's, or {@code ciSeed} alone. */
  public static LongStream expensive(long ciSeed) {
    return fromProperty().orElse(LongStream.of(ciSeed));
  }

  private static java.util.Optional<LongStream> fromProperty() {
    String v = System.getProperty(PROPERTY, "").trim();
    if (v.isEmpty()) {
      return java.util.Optional.empty();
    }
    long[] seeds;
    try {
      seeds = Arrays.stream(v.split(",")).map(String::trim).mapToLong(Long::parseLong).toArray();
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("-D" + PROPERTY + "=" + v + " is not a comma-separated "
          + "list of integers: pass e.g. -D" + PROPERTY + "=1,2,3", e);
    }
    checkArgument(seeds.length > 0, "-D%s names no seed: pass e.g. -D%s=1,2,3", PROPERTY,
        PROPERTY);
    return java.util.Optional.of(LongStream.of(seeds));
  }
}
