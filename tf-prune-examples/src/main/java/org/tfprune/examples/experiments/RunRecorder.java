package org.tfprune.examples.experiments;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.GateGroup;
import org.tfprune.train.EpochStats;
import org.tfprune.train.StepProgress;
import org.tfprune.train.TrainingListener;

/**
 * Listens to one training run: records the {@link ThetaTrace} and passes epochs on to the
 * progress display.
 */
final class RunRecorder implements TrainingListener {
  private final List<ImmutableMap<String, float[]>> thetas = new ArrayList<>();
  private final List<double[]> macs = new ArrayList<>();
  private final ExperimentProgress progress;

  /** Starts the trace at the initial theta of {@code spec}'s gates ({@code thetaInit}). */
  RunRecorder(ArchitectureSpec spec, boolean gated, float thetaInit,
      ExperimentProgress progress) {
    this.progress = progress;
    if (gated) {
      Map<String, float[]> start = new LinkedHashMap<>();
      for (GateGroup g : spec.gateGroups()) {
        float[] t = new float[g.size()];
        Arrays.fill(t, thetaInit);
        start.put(g.name(), t);
      }
      thetas.add(ImmutableMap.copyOf(start));
      macs.add(new double[] {0, 1});
    }
  }

  @Override
  public void onStep(StepProgress p) {
    if (!p.liveWidths().isEmpty()) {
      macs.add(new double[] {p.epoch() - 1 + (double) p.step() / p.stepsPerEpoch(),
          p.macsFraction()});
    }
  }

  @Override
  public void onEpoch(EpochStats stats) {
    progress.epoch(stats);
  }

  @Override
  public void onEpochThetas(int epoch, Map<String, float[]> theta) {
    if (!theta.isEmpty()) {
      thetas.add(ImmutableMap.copyOf(theta));
    }
  }

  ThetaTrace trace() {
    return new ThetaTrace(ImmutableList.copyOf(thetas), ImmutableList.copyOf(macs));
  }
}
