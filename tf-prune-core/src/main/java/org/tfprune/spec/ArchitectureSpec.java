package org.tfprune.spec;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import com.google.common.primitives.Ints;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An immutable description of a network: its input, its layers in order, and which structures
 * carry gates. It is data, not code: the gated training graph and the compact export graph are both
 * built from a spec by the one {@code NetworkBuilder}; the compact one is {@link #compact(KeepMask)}.
 */
public record ArchitectureSpec(String name, InputSpec input, ImmutableList<LayerSpec> layers) {
  /** Names a layer cannot take: the input gate group and the serving signature's tensors. */
  public static final Set<String> RESERVED_NAMES = Set.of(InputSpec.GATE_GROUP, "logits",
      "probabilities", "labels");

  public ArchitectureSpec {
    checkNotNull(name, "spec name");
    checkNotNull(input, "input spec");
    checkArgument(!layers.isEmpty(), "spec %s has no layers", name);
    Set<String> names = new HashSet<>(RESERVED_NAMES);
    for (LayerSpec l : layers) {
      checkArgument(names.add(l.name()),
          "layer name '%s' is used twice or is reserved (%s) in spec %s", l.name(),
          RESERVED_NAMES, name);
    }
    shapesOf(input, layers); // every layer must fit the shape it receives
    LayerSpec last = layers.get(layers.size() - 1);
    checkArgument(last instanceof DenseLayer,
        "the last layer '%s' must be a dense layer producing the logits", last.name());
    checkArgument(!last.gated(),
        "the last layer '%s' produces the logits and cannot be gated", last.name());
    checkArgument(!(last instanceof DenseLayer d) || d.activation() == Activation.IDENTITY,
        "the last layer '%s' produces the logits and must have no activation", last.name());
  }

  /** Convenience factory. */
  public static ArchitectureSpec of(String name, InputSpec input, LayerSpec... layers) {
    return new ArchitectureSpec(name, input, ImmutableList.copyOf(layers));
  }

  /** The feature map entering each layer, then the output of the last: {@code layers + 1}. */
  public ImmutableList<FeatureMap> shapes() {
    return shapesOf(input, layers);
  }

  private static ImmutableList<FeatureMap> shapesOf(InputSpec input, List<LayerSpec> layers) {
    ImmutableList.Builder<FeatureMap> b = ImmutableList.builder();
    FeatureMap m = input.featureMap();
    b.add(m);
    for (LayerSpec l : layers) {
      try {
        m = l.outputShape(m);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("layer '" + l.name() + "' does not fit its input " + m
            + ": " + e.getMessage(), e);
      }
      b.add(m);
    }
    return b.build();
  }

  /** Number of output classes (width of the last layer). */
  public int numClasses() {
    return layers.get(layers.size() - 1).width();
  }

  /** The gate groups of this spec, in graph order: the input features first, then each layer. */
  public ImmutableList<GateGroup> gateGroups() {
    ImmutableList.Builder<GateGroup> b = ImmutableList.builder();
    if (input.gated()) {
      b.add(new GateGroup(InputSpec.GATE_GROUP, input.width()));
    }
    for (LayerSpec l : layers) {
      if (l instanceof ResidualBlock r) {
        if (r.conv1().gated()) {
          b.add(new GateGroup(r.conv1().name(), r.innerWidth(), GateGroup.Kind.UNIT, true));
        }
        if (r.gated()) {
          b.add(new GateGroup(r.name(), 1, GateGroup.Kind.BLOCK, true));
        }
      } else if (l.gated()) {
        b.add(new GateGroup(l.name(), l.width()));
      }
    }
    return b.build();
  }

  /** Whether any structure carries a gate. */
  public boolean hasGates() {
    return !gateGroups().isEmpty();
  }

  /** The same network with every gate removed (the dense baseline). */
  public ArchitectureSpec withoutGates() {
    List<LayerSpec> ls = new ArrayList<>();
    for (LayerSpec l : layers) {
      ls.add(l.gated() ? l.withGated(false) : l);
    }
    return new ArchitectureSpec(name, input.withGated(false), ImmutableList.copyOf(ls));
  }

  /** The channels (features, for a flat input) of the tensor that flows into layer {@code index}. */
  public int inputWidthOf(int index) {
    checkArgument(index >= 0 && index < layers.size(), "no layer %s in %s", index, name);
    return shapes().get(index).channels();
  }

  /** Layer by name. */
  public LayerSpec layer(String layerName) {
    return layers.stream().filter(l -> l.name().equals(layerName)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException(
            "spec " + name + " has no layer '" + layerName + "'"));
  }

  /**
   * The compact spec: every gated structure that {@code mask} does not keep is removed (dead units
   * and the matching inputs of the next layer; dead input features). Gate flags are preserved, so
   * the compact spec can be trained further with gates or exported without them.
   */
  public ArchitectureSpec compact(KeepMask mask) {
    checkNotNull(mask, "mask");
    for (GateGroup g : gateGroups()) {
      checkArgument(mask.has(g.name()), "keep-mask lacks gate group '%s' of spec %s", g.name(), name);
      checkArgument(mask.flags(g.name()).length == g.size(),
          "keep-mask group '%s' has %s flags but the spec has %s gates", g.name(),
          mask.flags(g.name()).length, g.size());
    }
    InputSpec in = input;
    if (input.gated()) {
      int[] read = input.readFeatures();
      List<Integer> sel = new ArrayList<>();
      for (int k : mask.kept(InputSpec.GATE_GROUP)) {
        sel.add(read[k]);
      }
      checkArgument(!sel.isEmpty(), "keep-mask removes every input feature of spec %s", name);
      in = sel.size() == input.size() ? input : input.select(sel);
    }
    List<LayerSpec> ls = new ArrayList<>();
    for (LayerSpec l : layers) {
      if (l instanceof ResidualBlock r) {
        compactBlock(r, mask).ifPresent(ls::add);
      } else if (l.gated()) {
        int kept = mask.count(l.name());
        checkArgument(kept > 0, "keep-mask removes every unit of layer '%s'; a layer that nothing "
            + "can bypass must keep at least one unit", l.name());
        ls.add(l.withWidth(kept));
      } else {
        ls.add(l);
      }
    }
    return new ArchitectureSpec(name, in, ImmutableList.copyOf(ls));
  }

  /**
   * A residual block under a mask: kept with its live inner filters; or, with its gate closed,
   * nothing (identity shortcut) or its projection alone (with the block's ReLU).
   */
  private static java.util.Optional<LayerSpec> compactBlock(ResidualBlock r, KeepMask mask) {
    boolean alive = !r.gated() || mask.flags(r.name())[0];
    if (!alive) {
      return r.shortcut() == null ? java.util.Optional.empty()
          : java.util.Optional.of(r.shortcut().withActivation(Activation.RELU));
    }
    if (!r.conv1().gated()) {
      return java.util.Optional.of(r);
    }
    int kept = mask.count(r.conv1().name());
    checkArgument(kept > 0, "keep-mask keeps block '%s' but none of its filters; close the "
        + "block's gate instead (a block without live filters is dead)", r.name());
    return java.util.Optional.of(r.withInnerWidth(kept));
  }

  /**
   * Widths of the input (as read) and of every layer that has units or filters of its own, e.g.
   * {@code [784, 300, 100, 10]}; a residual block contributes its inner width.
   */
  public int[] widths() {
    List<Integer> w = new ArrayList<>();
    w.add(input.width());
    for (LayerSpec l : layers) {
      if (l instanceof ResidualBlock r) {
        w.add(r.innerWidth());
      } else if (l.width() > 0) {
        w.add(l.width());
      }
    }
    return Ints.toArray(w);
  }

  /** A short human-readable description, e.g. {@code 784-300-100-10}. */
  public String widthString() {
    StringBuilder s = new StringBuilder();
    for (int w : widths()) {
      if (s.length() > 0) {
        s.append('-');
      }
      s.append(w);
    }
    return s.toString();
  }
}
