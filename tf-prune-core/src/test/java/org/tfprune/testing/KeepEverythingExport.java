package org.tfprune.testing;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tfprune.export.CompactExporter;
import org.tfprune.export.ExportSettings;
import org.tfprune.imports.ImportedModel;
import org.tfprune.slice.HostTensor;
import org.tfprune.spec.KeepMask;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.GateGroup;

/**
 * Exports an imported model with every gate open and every structure kept, checked on {@code
 * count} examples of {@code x}: the export a test compares with the original model output for
 * output, signature for signature.
 */
public final class KeepEverythingExport {
  private KeepEverythingExport() {}

  /** Writes the export to {@code out}. */
  public static void save(ImportedModel m, float[] x, int count, Path out) {
    Map<String, boolean[]> flags = new LinkedHashMap<>();
    ParameterSet params = m.parameters();
    for (GateGroup g : m.spec().gateGroups()) {
      boolean[] k = new boolean[g.size()];
      float[] theta = new float[g.size()];
      Arrays.fill(k, true);
      Arrays.fill(theta, 1f);
      flags.put(g.name(), k);
      params = params.with(ParameterSet.key(g.name(), ParameterSet.THETA),
          new HostTensor(new long[] {k.length}, theta));
    }
    try (CompactExporter.VerifiedModel v = CompactExporter.compact(m.spec(), params,
        KeepMask.of(flags), x, count, m.signature(), ExportSettings.DEFAULT)) {
      v.model().save(out, false, Map.of());
    }
  }
}
