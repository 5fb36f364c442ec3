package org.tfprune.train;

import java.io.PrintStream;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;

/**
 * A developer's view of one training step: with the system property {@code tfprune.profile.step}
 * set to a step number, the trainer traces that step and prints how many ops ran and where the
 * time went, by op type.
 */
final class StepProfile {
  /** The global step to trace, or -1. */
  static final long STEP = Long.getLong("tfprune.profile.step", -1L);
  /** How many of the slowest ops the trace lists ({@code tfprune.profile.nodes}, default 15). */
  static final long NODES = Long.getLong("tfprune.profile.nodes", 15L);

  private StepProfile() {}

  static RunOptions options() {
    return RunOptions.newBuilder().setTraceLevel(RunOptions.TraceLevel.FULL_TRACE).build();
  }

  static void print(RunMetadata metadata, String label, PrintStream out) {
    Map<String, long[]> byType = new LinkedHashMap<>();
    long nodes = 0;
    long first = Long.MAX_VALUE;
    long last = 0;
    for (DeviceStepStats d : metadata.getStepStats().getDevStatsList()) {
      for (NodeExecStats n : d.getNodeStatsList()) {
        String type = n.getTimelineLabel().contains("= ")
            ? n.getTimelineLabel().replaceAll(".*= ([A-Za-z0-9_]+)\\(.*", "$1") : n.getNodeName();
        long[] v = byType.computeIfAbsent(type, k -> new long[2]);
        v[0]++;
        v[1] += n.getOpEndRelMicros();
        nodes++;
        first = Math.min(first, n.getAllStartMicros());
        last = Math.max(last, n.getAllStartMicros() + n.getAllEndRelMicros());
      }
    }
    metadata.getStepStats().getDevStatsList().stream()
        .flatMap(d -> d.getNodeStatsList().stream())
        .sorted(Comparator.comparingLong(n -> -n.getOpEndRelMicros())).limit(NODES)
        .forEach(n -> out.printf("  node %-60s %7d us%n", n.getNodeName(),
            n.getOpEndRelMicros()));
    out.printf("[profile %s] %d op executions, %d us from first start to last end%n", label,
        nodes, last - first);
    byType.entrySet().stream().sorted(Comparator.comparingLong(e -> -e.getValue()[1])).limit(25)
        .forEach(e -> out.printf("  %-36s x%-4d %7d us%n", e.getKey(), e.getValue()[0],
            e.getValue()[1]));
  }
}
