package org.tfprune.examples.bench;

import static com.google.common.base.Preconditions.checkArgument;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.tfprune.build.ParameterInitializer;
import org.tfprune.export.CompactExporter;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.GateGroup;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.KeepMask;

/**
 * A compact export for timing when no trained run is at hand: the network at its initial
 * weights, every filter and unit group cut to its first {@code fraction} of structures (blocks
 * and input features kept), exported by the exporter with its default settings (and verified
 * like any export). Latency does not depend on the weights' values, only on the shapes.
 */
public final class SyntheticPruning {
  private SyntheticPruning() {}

  /** Writes the compact SavedModel of {@code spec} to {@code dir}; returns its spec. */
  public static ArchitectureSpec export(ArchitectureSpec spec, double fraction, Path dir,
      long seed) {
    checkArgument(fraction > 0 && fraction <= 1, "--keep-fraction must be in (0, 1], got %s",
        fraction);
    ParameterSet params = ParameterInitializer.initialize(spec, seed, 1f);
    // the first structures of each group: at initial weights any choice of the same count gives
    // the same shapes, hence the same latency
    Map<String, boolean[]> flags = new LinkedHashMap<>();
    for (GateGroup g : spec.gateGroups()) {
      boolean cut = g.kind() == GateGroup.Kind.UNIT && !g.name().equals(InputSpec.GATE_GROUP);
      int width = cut ? Math.max(1, (int) Math.round(g.size() * fraction)) : g.size();
      boolean[] k = new boolean[g.size()];
      for (int i = 0; i < width; i++) {
        k[i] = true;
      }
      flags.put(g.name(), k);
    }
    KeepMask keep = KeepMask.of(flags);
    for (String g : keep.groups()) { // theta agrees with the mask: the gated network is the same
      boolean[] k = keep.flags(g);
      float[] theta = new float[k.length];
      for (int i = 0; i < k.length; i++) {
        theta[i] = k[i] ? 1f : 0f;
      }
      params = params.with(ParameterSet.key(g, ParameterSet.THETA),
          new HostTensor(new long[] {k.length}, theta));
    }
    int count = 8;
    float[] sample = new float[count * spec.input().size()];
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = 0; i < sample.length; i++) {
      sample[i] = (float) rng.nextDouble();
    }
    try (CompactExporter.VerifiedModel m = CompactExporter.compact(spec, params, keep, sample,
        count)) {
      m.model().save(dir, false, Map.of());
      return m.model().spec();
    }
  }
}
