package org.tfprune.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import org.junit.jupiter.api.Test;

class NpyHeaderTest {
  @Test
  void parsesTypeShapeAndDataOffsetOfAVersion1Header() {
    byte[] file = MnistFiles.npy("<f4", new long[] {3, 28, 28}, new byte[3 * 784 * 4], false);
    NpyHeader h = NpyHeader.read(new ByteArrayInputStream(file), "a.npy");
    assertThat(h.type()).isEqualTo(NpyHeader.ElementType.FLOAT32);
    assertThat(h.shape()).containsExactly(3, 28, 28);
    assertThat(h.dataOffset()).isEqualTo(file.length - 3 * 784 * 4).isEqualTo(128);
    assertThat(h.dataBytes()).isEqualTo(3 * 784 * 4);
  }

  @Test
  void parsesOneDimensionalShapesWithTheirTrailingComma() {
    NpyHeader h = NpyHeader.parse("{'descr': '|u1', 'fortran_order': False, 'shape': (5,), }",
        64, "y.npy");
    assertThat(h.shape()).containsExactly(5);
    assertThat(h.type()).isEqualTo(NpyHeader.ElementType.UINT8);
  }

  @Test
  void acceptsTheKeysInAnyOrder() {
    NpyHeader h = NpyHeader.parse("{'shape': (2, 3), 'fortran_order': False, 'descr': '<i8'}",
        64, "y.npy");
    assertThat(h.type()).isEqualTo(NpyHeader.ElementType.INT64);
  }

  @Test
  void refusesBigEndianData() {
    assertThatThrownBy(() -> NpyHeader.parse(
        "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 64, "b.npy"))
        .isInstanceOf(MalformedDataException.class).hasMessageContaining("'>f4'")
        .hasMessageContaining("astype('<f4')");
  }

  @Test
  void refusesAMissingKey() {
    assertThatThrownBy(() -> NpyHeader.parse("{'descr': '<f4', 'shape': (2,), }", 64, "m.npy"))
        .isInstanceOf(MalformedDataException.class).hasMessageContaining("header keys");
  }

  @Test
  void refusesAFileWithoutTheMagicString() {
    assertThatThrownBy(() -> NpyHeader.read(new ByteArrayInputStream(new byte[20]), "z.npy"))
        .isInstanceOf(MalformedDataException.class).hasMessageContaining("magic");
  }

  @Test
  void refusesAHeaderCutShort() {
    byte[] file = MnistFiles.npy("<f4", new long[] {1}, new byte[4], false);
    assertThatThrownBy(() -> NpyHeader.read(new ByteArrayInputStream(
        java.util.Arrays.copyOf(file, 30)), "c.npy"))
        .isInstanceOf(MalformedDataException.class).hasMessageContaining("ends inside");
  }
}
