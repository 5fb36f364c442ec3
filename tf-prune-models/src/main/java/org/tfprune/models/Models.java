package org.tfprune.models;

import com.google.common.collect.ImmutableList;
import java.util.Locale;
import org.tfprune.spec.ArchitectureSpec;

/** Looks reference architectures up by name, for command-line tools. */
public final class Models {
  /** Names accepted by {@link #create}. */
  public static final ImmutableList<String> NAMES = ImmutableList.of("lenet-300-100");

  private Models() {}

  /**
   * The named architecture for inputs of {@code inputShape} (per example) and {@code classes}.
   *
   * @param widthMultiplier scales every prunable width
   */
  public static ArchitectureSpec create(String name, int[] inputShape, int classes,
      double widthMultiplier) {
    int features = 1;
    for (int d : inputShape) {
      features *= d;
    }
    switch (name.toLowerCase(Locale.ROOT)) {
      case "lenet-300-100", "lenet300100", "lenet-300" -> {
        return LeNet300100.create(features, classes, widthMultiplier, true);
      }
      default -> throw new IllegalArgumentException("unknown model '" + name + "'; available: "
          + NAMES);
    }
  }
}
