package org.tfprune.slice;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.Conv2DLayer;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.FeatureMap;
import org.tfprune.spec.FixedLayer;
import org.tfprune.spec.FlattenLayer;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.KeepMask;
import org.tfprune.spec.LayerSpec;
import org.tfprune.spec.PassThroughLayer;
import org.tfprune.spec.ResidualBlock;

/**
 * Slices a network's parameters down to the structures a keep-mask keeps, so that they fit
 * {@code spec.compact(mask)}. The rule per layer type, like Torch-Pruning's per-layer pruning
 * functions: a dense layer keeps the kernel rows of its live inputs and the columns, biases and
 * gates of its live units; a convolution keeps the input channels of its live inputs and the
 * filters (with bias or batch-norm entries) it keeps; a flatten maps each live channel to its
 * {@code H*W} features; a residual block keeps its live inner filters or, when dead, only its
 * projection. A coupled stream channel ({@code StreamGroup}) is kept or removed everywhere at
 * once: in the output of the stage's head conv (and its batch norm), of every block's last conv
 * and projection, and in the input of every consumer. Parameters of other owners pass through
 * unchanged, and a set may hold any subset of the parameters (an optimizer's slots, say): what is
 * absent is skipped.
 */
public final class WeightSlicer {
  private WeightSlicer() {}

  public static ParameterSet slice(ArchitectureSpec spec, ParameterSet params, KeepMask mask) {
    spec.compact(mask); // validates the mask against the spec
    Map<String, HostTensor> out = new LinkedHashMap<>(params.asMap());
    List<FeatureMap> shapes = spec.shapes();
    int[] liveIn = null; // null: every channel of the current tensor is live
    if (spec.input().gated()) {
      liveIn = mask.kept(InputSpec.GATE_GROUP);
      sliceIfPresent(params, out, ParameterSet.key(InputSpec.GATE_GROUP, ParameterSet.THETA), 0,
          liveIn);
    }
    for (int i = 0; i < spec.layers().size(); i++) {
      LayerSpec l = spec.layers().get(i);
      if (l instanceof DenseLayer d) {
        int[] liveOut = d.gated() ? mask.kept(l.name()) : null;
        String kernel = ParameterSet.key(l.name(), ParameterSet.KERNEL);
        if (params.has(kernel)) {
          HostTensor k = params.get(kernel);
          if (liveIn != null) {
            k = k.select(0, liveIn);
          }
          out.put(kernel, liveOut != null ? k.select(1, liveOut) : k);
        }
        if (liveOut != null) {
          sliceIfPresent(params, out, ParameterSet.key(l.name(), ParameterSet.BIAS), 0, liveOut);
          sliceIfPresent(params, out, ParameterSet.key(l.name(), ParameterSet.THETA), 0, liveOut);
        }
        liveIn = liveOut;
      } else if (l instanceof Conv2DLayer c && c.depthwise()) {
        depthwise(params, out, c, liveIn); // channel c reads input channel c alone
      } else if (l instanceof Conv2DLayer c) {
        int[] liveOut = c.gated() ? mask.kept(c.name()) : stream(spec, params, out, c, mask);
        conv(params, out, c, liveIn, liveOut);
        liveIn = liveOut;
      } else if (l instanceof ResidualBlock r) {
        liveIn = block(params, out, r, liveIn, mask, stream(spec, params, out, r, mask));
      } else if (l instanceof FlattenLayer) {
        liveIn = liveIn == null ? null : flattened(liveIn, shapes.get(i));
      } else if (l instanceof FixedLayer) {
        liveIn = null; // it reads every channel (its producer is ungated) and is never pruned
      } else if (!(l instanceof PassThroughLayer)) {
        throw new IllegalArgumentException("no slicing rule for layer type " + l.getClass());
      }
    }
    return new ParameterSet(out);
  }

  /**
   * The kept channels of the stream group whose channels {@code l} outputs (null: none), slicing
   * the group's theta when {@code l} is its head.
   */
  private static int[] stream(ArchitectureSpec spec, ParameterSet params,
      Map<String, HostTensor> out, LayerSpec l, KeepMask mask) {
    String group = spec.gatedStreamOf(l.name());
    if (group == null) {
      return null;
    }
    int[] kept = mask.kept(group);
    if (spec.streamOf(l.name()).orElseThrow().head().equals(l.name())) {
      sliceIfPresent(params, out, ParameterSet.key(group, ParameterSet.THETA), 0, kept);
    }
    return kept;
  }

  /**
   * Slices a residual block whose output channels {@code liveOut} are kept (null: all); returns
   * the live channels of its output.
   */
  private static int[] block(ParameterSet params, Map<String, HostTensor> out, ResidualBlock r,
      int[] liveIn, KeepMask mask, int[] liveOut) {
    boolean alive = !r.gated() || mask.flags(r.name())[0];
    String pre = r.preActivation() == null ? null : r.preActivation().name();
    if (pre != null && liveIn != null) {
      for (String kind : List.of(ParameterSet.GAMMA, ParameterSet.BETA,
          ParameterSet.MOVING_MEAN, ParameterSet.MOVING_VARIANCE)) {
        sliceIfPresent(params, out, ParameterSet.key(pre, kind), 0, liveIn);
      }
    }
    if (!alive) {
      for (Conv2DLayer c : r.branchConvs()) {
        out.keySet().removeIf(k -> ParameterSet.ownerOf(k).equals(c.name()));
      }
      if (pre != null) { // an identity block: it goes with its pre-activation
        out.keySet().removeIf(k -> ParameterSet.ownerOf(k).equals(pre));
      }
      out.remove(ParameterSet.key(r.name(), ParameterSet.THETA));
      if (r.shortcut() == null) {
        return liveIn; // the block is its identity shortcut
      }
      conv(params, out, r.shortcut(), liveIn, liveOut);
      return liveOut;
    }
    int[] inner = r.conv1().gated() ? mask.kept(r.conv1().name()) : null;
    conv(params, out, r.conv1(), liveIn, inner);
    if (r.depthwise() != null) {
      depthwise(params, out, r.depthwise(), inner);
    }
    if (r.middle() != null) { // reads conv1's live filters, keeps its own
      int[] middle = r.middle().gated() ? mask.kept(r.middle().name()) : null;
      conv(params, out, r.middle(), inner, middle);
      inner = middle;
    }
    conv(params, out, r.conv2(), inner, liveOut);
    if (r.shortcut() != null) {
      conv(params, out, r.shortcut(), liveIn, liveOut);
      return liveOut;
    }
    return liveIn; // identity: the stream keeps its channels (a stream group's, sliced above)
  }

  /** Keeps the channels {@code live} (null = all) of a depthwise conv. */
  private static void depthwise(ParameterSet params, Map<String, HostTensor> out, Conv2DLayer c,
      int[] live) {
    String kernel = ParameterSet.key(c.name(), ParameterSet.KERNEL);
    if (params.has(kernel)) {
      out.put(kernel, live != null ? params.get(kernel).select(2, live) : params.get(kernel));
    }
    if (live != null) {
      for (String kind : List.of(ParameterSet.BIAS, ParameterSet.GAMMA, ParameterSet.BETA,
          ParameterSet.MOVING_MEAN, ParameterSet.MOVING_VARIANCE)) {
        sliceIfPresent(params, out, ParameterSet.key(c.name(), kind), 0, live);
      }
    }
  }

  /** Keeps input channels {@code liveIn} and filters {@code liveOut} (null = all). */
  private static void conv(ParameterSet params, Map<String, HostTensor> out, Conv2DLayer c,
      int[] liveIn, int[] liveOut) {
    String kernel = ParameterSet.key(c.name(), ParameterSet.KERNEL);
    if (params.has(kernel)) {
      HostTensor k = params.get(kernel);
      if (liveIn != null) {
        k = k.select(2, liveIn);
      }
      out.put(kernel, liveOut != null ? k.select(3, liveOut) : k);
    }
    if (liveOut != null) {
      for (String kind : List.of(ParameterSet.BIAS, ParameterSet.GAMMA, ParameterSet.BETA,
          ParameterSet.MOVING_MEAN, ParameterSet.MOVING_VARIANCE, ParameterSet.THETA)) {
        sliceIfPresent(params, out, ParameterSet.key(c.name(), kind), 0, liveOut);
      }
    }
  }

  /**
   * The inverse of {@link #slice}: places the compact parameters back at their positions in
   * tensors of the full shapes, with zeros where structures were removed (a removed structure's
   * theta is 0, so the full gated network computes what the compact one does). Positions come
   * from slicing index tensors with the same rules, so no rule is written twice.
   *
   * @param fullShapes the shape of every parameter of {@code spec}
   */
  public static ParameterSet expand(ArchitectureSpec spec, ParameterSet compact, KeepMask mask,
      Map<String, long[]> fullShapes) {
    Map<String, HostTensor> positions = new LinkedHashMap<>();
    fullShapes.forEach((name, shape) -> {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      com.google.common.base.Preconditions.checkArgument(n <= (1 << 24),
          "parameter %s has %s values, more than float indices address exactly", name, n);
      float[] idx = new float[(int) n];
      for (int i = 0; i < idx.length; i++) {
        idx[i] = i;
      }
      positions.put(name, new HostTensor(shape, idx));
    });
    ParameterSet sliced = slice(spec, new ParameterSet(positions), mask);
    Map<String, HostTensor> out = new LinkedHashMap<>();
    fullShapes.forEach((name, shape) -> {
      float[] full = new float[positions.get(name).size()];
      if (sliced.has(name)) {
        float[] pos = sliced.get(name).values();
        float[] values = compact.get(name).values();
        com.google.common.base.Preconditions.checkArgument(pos.length == values.length,
            "compact parameter %s has %s values but the mask keeps %s", name, values.length,
            pos.length);
        for (int i = 0; i < pos.length; i++) {
          full[(int) pos[i]] = values[i];
        }
      }
      out.put(name, new HostTensor(shape, full));
    });
    return new ParameterSet(out);
  }

  /** Feature indices of live channels after an NHWC flatten: {@code p * C + c}. */
  private static int[] flattened(int[] liveChannels, FeatureMap in) {
    int[] f = new int[in.positions() * liveChannels.length];
    int j = 0;
    for (int p = 0; p < in.positions(); p++) {
      for (int c : liveChannels) {
        f[j++] = p * in.channels() + c;
      }
    }
    return f;
  }

  private static void sliceIfPresent(ParameterSet params, Map<String, HostTensor> out, String name,
      int axis, int[] keep) {
    if (params.has(name)) {
      out.put(name, params.get(name).select(axis, keep));
    }
  }
}
