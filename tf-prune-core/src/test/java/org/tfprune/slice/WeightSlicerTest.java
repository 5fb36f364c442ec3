package org.tfprune.slice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.KeepMask;

class WeightSlicerTest {
  /** input 4 (gated) -> d0 3 (gated) -> d1 2 (ungated) -> d2 3 (gated) -> out 2. */
  private static ArchitectureSpec spec() {
    return ArchitectureSpec.of("s", InputSpec.flat(4, true), DenseLayer.gatedRelu("d0", 3),
        new DenseLayer("d1", 2, org.tfprune.spec.Activation.RELU, false),
        DenseLayer.gatedRelu("d2", 3), DenseLayer.logits("out", 2));
  }

  /** kernel[r][c] of layer L holds L*100 + r*10 + c; bias[c] = L*100 + 90 + c; theta = .c. */
  private static HostTensor kernel(int layer, int rows, int cols) {
    float[] v = new float[rows * cols];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        v[r * cols + c] = layer * 100 + r * 10 + c;
      }
    }
    return new HostTensor(new long[] {rows, cols}, v);
  }

  private static HostTensor vector(float base, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = base + i;
    }
    return new HostTensor(new long[] {n}, v);
  }

  private static ParameterSet params() {
    Map<String, HostTensor> m = new LinkedHashMap<>();
    m.put("d0/kernel", kernel(1, 4, 3));
    m.put("d0/bias", vector(190, 3));
    m.put("d1/kernel", kernel(2, 3, 2));
    m.put("d1/bias", vector(290, 2));
    m.put("d2/kernel", kernel(3, 2, 3));
    m.put("d2/bias", vector(390, 3));
    m.put("out/kernel", kernel(4, 3, 2));
    m.put("out/bias", vector(490, 2));
    m.put("input/theta", vector(0.5f, 4));
    m.put("d0/theta", vector(10.5f, 3));
    m.put("d2/theta", vector(30.5f, 3));
    return new ParameterSet(m);
  }

  private static KeepMask mask() {
    Map<String, boolean[]> m = new LinkedHashMap<>();
    m.put("input", new boolean[] {true, false, true, true}); // rows 0, 2, 3
    m.put("d0", new boolean[] {false, true, true}); // units 1, 2
    m.put("d2", new boolean[] {true, false, true}); // units 0, 2
    return KeepMask.of(m);
  }

  @Test
  void slicingKeepsExactlyTheLiveRowsColumnsBiasesAndThetas() {
    ParameterSet s = WeightSlicer.slice(spec(), params(), mask());
    // d0: rows {0,2,3} of the input, columns {1,2}
    assertThat(s.get("d0/kernel").shape()).containsExactly(3, 2);
    assertThat(s.get("d0/kernel").values()).containsExactly(101, 102, 121, 122, 131, 132);
    assertThat(s.get("d0/bias").values()).containsExactly(191, 192);
    assertThat(s.get("d0/theta").values()).containsExactly(11.5f, 12.5f);
    assertThat(s.get("input/theta").values()).containsExactly(0.5f, 2.5f, 3.5f);
    // d1 (ungated): rows {1,2} of d0's units, all columns
    assertThat(s.get("d1/kernel").shape()).containsExactly(2, 2);
    assertThat(s.get("d1/kernel").values()).containsExactly(210, 211, 220, 221);
    assertThat(s.get("d1/bias").values()).containsExactly(290, 291);
    // d2: every input row (d1 is ungated), columns {0,2}
    assertThat(s.get("d2/kernel").shape()).containsExactly(2, 2);
    assertThat(s.get("d2/kernel").values()).containsExactly(300, 302, 310, 312);
    assertThat(s.get("d2/bias").values()).containsExactly(390, 392);
    assertThat(s.get("d2/theta").values()).containsExactly(30.5f, 32.5f);
    // out: rows {0,2}, every column; bias untouched
    assertThat(s.get("out/kernel").shape()).containsExactly(2, 2);
    assertThat(s.get("out/kernel").values()).containsExactly(400, 401, 420, 421);
    assertThat(s.get("out/bias").values()).containsExactly(490, 491);
  }

  @Test
  void slicedShapesFitTheCompactSpec() {
    ArchitectureSpec compact = spec().compact(mask());
    ParameterSet s = WeightSlicer.slice(spec(), params(), mask());
    for (int i = 0; i < compact.layers().size(); i++) {
      String name = compact.layers().get(i).name();
      assertThat(s.get(name + "/kernel").shape()).as(name)
          .containsExactly(compact.inputWidthOf(i), compact.layers().get(i).width());
      assertThat(s.get(name + "/bias").shape()).containsExactly(compact.layers().get(i).width());
    }
  }

  @Test
  void fullMaskLeavesParametersUnchanged() {
    ParameterSet s = WeightSlicer.slice(spec(), params(), KeepMask.all(spec()));
    assertThat(s.asMap()).isEqualTo(params().asMap());
  }

  @Test
  void parametersWithoutThetaAreSlicedToo() {
    Map<String, HostTensor> m = new LinkedHashMap<>(params().asMap());
    m.keySet().removeIf(k -> k.endsWith("/theta"));
    ParameterSet s = WeightSlicer.slice(spec(), new ParameterSet(m), mask());
    assertThat(s.names()).noneMatch(k -> k.endsWith("/theta"));
    assertThat(s.get("d0/kernel").values()).containsExactly(101, 102, 121, 122, 131, 132);
  }

  @Test
  void maskThatRemovesAWholeLayerIsRefused() {
    Map<String, boolean[]> m = new LinkedHashMap<>();
    m.put("input", new boolean[] {true, true, true, true});
    m.put("d0", new boolean[] {true, true, true});
    m.put("d2", new boolean[] {false, false, false});
    assertThatThrownBy(() -> WeightSlicer.slice(spec(), params(), KeepMask.of(m)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'d2'");
  }

  @Test
  void hostTensorSelectKeepsIndicesAlongAnyAxis() {
    HostTensor t = kernel(0, 3, 4);
    assertThat(t.select(0, new int[] {2}).values()).containsExactly(20, 21, 22, 23);
    assertThat(t.select(1, new int[] {0, 3}).values()).containsExactly(0, 3, 10, 13, 20, 23);
    assertThatThrownBy(() -> t.select(1, new int[] {4}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("out of range");
  }
}
