package org.tfprune.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tfprune.build.ParameterInitializer;
import org.tfprune.export.BatchNormFolding;
import org.tfprune.export.InferenceModel;
import org.tfprune.models.Models;
import org.tfprune.spec.ArchitectureSpec;

/**
 * The per-op profile of {@code tf-prune bench --profile}: a LeNet-5 serving graph and an identity
 * graph traced at a small batch; every op that ran is listed once with its type, the shares sum
 * to 1, the types' counts and times add up to the ops', and the text table names the ops.
 * Timings are never asserted.
 */
class OpProfileTest {
  @Test
  void profilesEveryOpOfAServingGraphWithSharesSummingToOne() {
    ArchitectureSpec spec = Models.create("lenet-5", new int[] {28, 28, 1}, 10, 0.5, false);
    BatchNormFolding.Folded f = BatchNormFolding.fold(spec,
        ParameterInitializer.initialize(spec, 1, 1f));
    try (InferenceModel m = InferenceModel.of(f.spec(), f.parameters());
        TFloat32 x = input(8, 28 * 28);
        IdentityGraph identity = new IdentityGraph(new long[] {28, 28, 1})) {
      OpProfile.Profile p = OpProfile.profile("lenet-5", "compact", LatencyBenchmark.Target.of(m),
          x, 5);
      OpProfile.Profile id = OpProfile.profile("lenet-5", "identity", identity.target(), x, 5);

      assertThat(p.batch()).isEqualTo(8);
      assertThat(p.runs()).isEqualTo(5);
      assertThat(p.ops().stream().mapToDouble(OpProfile.Op::share).sum())
          .isCloseTo(1.0, within(1e-9));
      assertThat(p.types().stream().mapToDouble(OpProfile.Type::share).sum())
          .isCloseTo(1.0, within(1e-9));
      assertThat(p.types().stream().mapToInt(OpProfile.Type::count).sum())
          .isEqualTo(p.ops().size());
      assertThat(p.ops().stream().mapToDouble(OpProfile.Op::us).sum())
          .isCloseTo(p.opsUs(), within(1e-6 * Math.max(1, p.opsUs())));
      assertThat(p.ops()).extracting(OpProfile.Op::name).doesNotHaveDuplicates();
      // two convolutions and two products, each listed with its type
      assertThat(p.ops().stream().filter(o -> o.type().contains("Conv2D")).count())
          .isEqualTo(2);
      assertThat(p.ops().stream().filter(o -> o.type().contains("MatMul")).count())
          .isEqualTo(2);
      for (int i = 1; i < p.ops().size(); i++) {
        assertThat(p.ops().get(i).us()).isLessThanOrEqualTo(p.ops().get(i - 1).us());
      }
      assertThat(p.wallUs()).isPositive();
      assertThat(id.ops()).extracting(OpProfile.Op::type).contains("Identity")
          .noneMatch(t -> t.contains("Conv2D"));
      assertThat(id.ops().stream().mapToDouble(OpProfile.Op::share).sum())
          .isCloseTo(1.0, within(1e-9));

      String text = OpProfile.toText(List.of(p, id));
      System.out.print(text);
      assertThat(text).contains("lenet-5 compact, batch 8", "lenet-5 identity, batch 8",
          "Conv2D", "per type:");
      String slowest = p.ops().get(0).name();
      assertThat(text).contains(slowest.length() <= 44 ? slowest
          : slowest.substring(slowest.length() - 41));
    }
  }

  @Test
  void aBenchTableKeepsItsProfilesThroughJson() {
    OpProfile.Profile p = new OpProfile.Profile("m", "compact", 256, 3, 100, 80,
        List.of(new OpProfile.Op("a", "Conv2D", 60, 0.75), new OpProfile.Op("b", "Relu", 20,
            0.25)), List.of(new OpProfile.Type("Conv2D", 1, 60, 0.75),
                new OpProfile.Type("Relu", 1, 20, 0.25)));
    BenchTable t = new BenchTable(List.of(256), 1, "0", List.of(BenchTable.Model.of("m", "c",
        "d", 1, 2, List.of(new RoundRobinLatency.Cell(256, 1, 2,
            new RoundRobinLatency.Spread(0.5, 0.4, 0.6, 0.3, 0.7), 9)))), List.of(p), null);
    BenchTable back = BenchTable.fromJson(t.toJson());
    assertThat(back.profiles()).containsExactly(p);
    assertThat(t.toText()).contains("Where a call's time goes", "m compact, batch 256");
  }

  private static TFloat32 input(int batch, int size) {
    SplittableRandom rng = new SplittableRandom(3);
    float[] v = new float[batch * size];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) rng.nextDouble();
    }
    return TFloat32.tensorOf(Shape.of(batch, 28, 28, 1), DataBuffers.of(v, true, false));
  }
}
