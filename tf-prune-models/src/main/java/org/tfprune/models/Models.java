package org.tfprune.models;

import com.google.common.collect.ImmutableList;
import java.util.Locale;
import org.tfprune.spec.ArchitectureSpec;

/** Looks reference architectures up by name, for command-line tools. */
public final class Models {
  /** Names accepted by {@link #create}. */
  public static final ImmutableList<String> NAMES = ImmutableList.of("lenet-300-100", "lenet-5",
      "vgg-16", "resnet-20", "resnet-32", "resnet-56", "resnet-110");

  private Models() {}

  /**
   * The named architecture for inputs of {@code inputShape} (per example, {@code [h, w, c]}) and
   * {@code classes}.
   *
   * @param widthMultiplier scales every prunable width
   */
  public static ArchitectureSpec create(String name, int[] inputShape, int classes,
      double widthMultiplier) {
    return create(name, inputShape, classes, widthMultiplier, false);
  }

  /**
   * As {@link #create(String, int[], int, double)}; with {@code coupledStreamChannels} the
   * residual stream channels of each stage share one gate vector (residual networks only).
   *
   * @throws IllegalArgumentException if the option is set for a model without residual stages
   */
  public static ArchitectureSpec create(String name, int[] inputShape, int classes,
      double widthMultiplier, boolean coupledStreamChannels) {
    ArchitectureSpec spec = plain(name, inputShape, classes, widthMultiplier);
    if (!coupledStreamChannels) {
      return spec;
    }
    try {
      return spec.withCoupledStreamChannels();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("model " + name + " has no residual stages, so "
          + "--couple-stream-channels does not apply: use it with resnet-20/32/56/110", e);
    }
  }

  private static ArchitectureSpec plain(String name, int[] inputShape, int classes,
      double widthMultiplier) {
    int features = 1;
    for (int d : inputShape) {
      features *= d;
    }
    String n = name.toLowerCase(Locale.ROOT);
    if (n.equals("lenet-300-100") || n.equals("lenet300100")) {
      return LeNet300100.create(features, classes, widthMultiplier, true);
    }
    if (inputShape.length != 3 && (n.startsWith("lenet-5") || n.startsWith("vgg")
        || n.startsWith("resnet"))) {
      throw new IllegalArgumentException("model " + name + " needs images [height, width, "
          + "channels]; the data has shape " + java.util.Arrays.toString(inputShape));
    }
    return switch (n) {
      case "lenet-5", "lenet5" -> LeNet5.create(inputShape[0], inputShape[1], inputShape[2],
          classes, widthMultiplier);
      case "vgg-16", "vgg16" -> Vgg16.create(inputShape[0], inputShape[1], inputShape[2],
          classes, widthMultiplier);
      case "resnet-20", "resnet-32", "resnet-56", "resnet-110" -> ResNet.create(
          Integer.parseInt(n.substring("resnet-".length())), inputShape[0], inputShape[1],
          inputShape[2], classes, widthMultiplier);
      default -> throw new IllegalArgumentException("unknown model '" + name + "'; available: "
          + NAMES);
    };
  }
}
