package org.tfprune.examples.experiments;

import static com.google.common.base.Preconditions.checkArgument;

/** A PNG plot written into the results directory: its file name and a caption. */
public record Plot(String file, String caption) {
  public Plot {
    checkArgument(file.endsWith(".png") && !file.contains("/"),
        "a plot is a .png file name in the results directory, got '%s'", file);
  }
}
