package org.tfprune.spec;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.primitives.Ints;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An immutable description of a network: its input, its layers in order, and which structures
 * carry gates. It is data, not code: the gated training graph and the compact export graph are both
 * built from a spec by the one {@code NetworkBuilder}; the compact one is {@link #compact(KeepMask)}.
 *
 * @param streams the residual stages whose stream channels share one gate vector ({@link
 *     StreamGroup}); empty by default, when the stream channels are not gated
 */
public record ArchitectureSpec(String name, InputSpec input, ImmutableList<LayerSpec> layers,
    ImmutableList<StreamGroup> streams) {
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
    for (LayerSpec l : layers) {
      if (l instanceof ResidualBlock r && r.preActivation() != null) {
        checkArgument(names.add(r.preActivation().name()), "the pre-activation name '%s' of "
            + "block '%s' is also a layer's in spec %s", r.preActivation().name(), r.name(), name);
      }
    }
    shapesOf(input, layers); // every layer must fit the shape it receives
    LayerSpec last = layers.get(layers.size() - 1);
    checkArgument(last instanceof DenseLayer
        || (last instanceof FixedLayer f && f.outputShape().isFlat()),
        "the last layer '%s' must be a dense layer producing the logits (or a fixed region "
        + "whose output is [batch, classes])", last.name());
    checkArgument(!last.gated(),
        "the last layer '%s' produces the logits and cannot be gated", last.name());
    checkArgument(!(last instanceof DenseLayer d) || d.activation() == Activation.IDENTITY,
        "the last layer '%s' produces the logits and must have no activation", last.name());
    checkNotNull(streams, "stream groups of spec %s", name);
    checkStreams(name, layers, streams, names);
    FixedLayer.checkUngatedInputs(input, layers, l -> streams.stream().filter(g -> g.gated()
        && g.members().contains(l)).map(StreamGroup::name).findFirst().orElse(null));
  }

  /** A spec whose residual stream channels are not gated. */
  public ArchitectureSpec(String name, InputSpec input, ImmutableList<LayerSpec> layers) {
    this(name, input, layers, ImmutableList.of());
  }

  /**
   * Checks that every stream group is a residual stage: a head that creates the stream (an
   * ungated conv or a projection block), then exactly the identity blocks that add to it.
   */
  private static void checkStreams(String spec, List<LayerSpec> layers,
      List<StreamGroup> streams, Set<String> names) {
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < layers.size(); i++) {
      index.put(layers.get(i).name(), i);
    }
    Set<String> used = new HashSet<>();
    Set<String> inner = new HashSet<>();
    for (LayerSpec l : layers) {
      if (l instanceof ResidualBlock r) {
        r.branchConvs().forEach(c -> inner.add(c.name()));
        if (r.shortcut() != null) {
          inner.add(r.shortcut().name());
        }
      }
    }
    for (StreamGroup g : streams) {
      checkArgument(!inner.contains(g.name()) && names.add(g.name()), "stream group name '%s' "
          + "is used twice or clashes with a layer or a reserved name in spec %s", g.name(), spec);
      int previous = -1;
      for (String m : g.members()) {
        Integer at = index.get(m);
        checkArgument(at != null, "stream group '%s' lists '%s', which is not a layer of spec %s",
            g.name(), m, spec);
        checkArgument(used.add(m), "layer '%s' is listed in two stream groups", m);
        LayerSpec l = layers.get(at);
        if (previous < 0) {
          boolean head = l instanceof ResidualBlock r ? r.shortcut() != null
              : l instanceof Conv2DLayer c && !(g.gated() && c.gated());
          checkArgument(head, "stream group '%s' must start with the layer that creates the "
              + "stream: an ungated conv (its filters are the stream's channels, gated by the "
              + "group) or a block with a projection shortcut; '%s' is neither", g.name(), m);
        } else {
          checkArgument(l instanceof ResidualBlock r && r.shortcut() == null
              && l == StreamGroup.next(layers, previous), "stream group '%s': '%s' must be the "
              + "identity-shortcut block right after '%s' (only pooling may lie between)",
              g.name(), m, layers.get(previous).name());
        }
        previous = at;
      }
      LayerSpec after = StreamGroup.next(layers, previous);
      checkArgument(!(after instanceof ResidualBlock r && r.shortcut() == null),
          "block '%s' adds stream group '%s' through its identity shortcut, so its output "
              + "channels are the group's channels: list it in the group", after == null ? ""
              : after.name(), g.name());
    }
  }
  /** Convenience factory. */
  public static ArchitectureSpec of(String name, InputSpec input, LayerSpec... layers) {
    return new ArchitectureSpec(name, input, ImmutableList.copyOf(layers));
  }

  /**
   * The same network with the residual stream channels of every stage coupled and gated by one
   * shared gate vector per stage ({@link StreamGroup#derive}); a stage's head conv loses gates of
   * its own (the stream group gates its filters).
   *
   * @throws IllegalArgumentException if the spec has no residual stage
   */
  public ArchitectureSpec withCoupledStreamChannels() {
    ImmutableList<StreamGroup> groups = StreamGroup.derive(name, layers);
    Set<String> heads = new HashSet<>();
    groups.forEach(g -> heads.add(g.head()));
    List<LayerSpec> ls = new ArrayList<>();
    for (LayerSpec l : layers) {
      ls.add(l instanceof Conv2DLayer c && heads.contains(c.name()) ? c.withGated(false) : l);
    }
    return new ArchitectureSpec(name, input, ImmutableList.copyOf(ls), groups);
  }

  /** The stream group whose channels are the output channels of layer {@code layerName}. */
  public Optional<StreamGroup> streamOf(String layerName) {
    return streams.stream().filter(g -> g.members().contains(layerName)).findFirst();
  }

  /** The gated stream group whose channels layer {@code layerName} outputs, or null. */
  public String gatedStreamOf(String layerName) {
    return streamOf(layerName).filter(StreamGroup::gated).map(StreamGroup::name).orElse(null);
  }

  /** The width of each stream group, the channels of its stage's residual stream. */
  public ImmutableMap<String, Integer> streamWidths() {
    ImmutableMap.Builder<String, Integer> b = ImmutableMap.builder();
    streams.forEach(g -> b.put(g.name(), layer(g.head()).width()));
    return b.build();
  }

  /** As a record's, without the stream groups when there are none (as before they existed). */
  @Override
  public String toString() {
    return "ArchitectureSpec[name=" + name + ", input=" + input + ", layers=" + layers
        + (streams.isEmpty() ? "" : ", streams=" + streams) + "]";
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
    LayerSpec last = layers.get(layers.size() - 1);
    return last instanceof FixedLayer f ? f.outputShape().channels() : last.width();
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
          // the block's gate bypasses its inner filters; without one they keep a live filter
          b.add(new GateGroup(r.conv1().name(), r.innerWidth(), GateGroup.Kind.UNIT,
              r.gated()));
          if (r.middle() != null) { // the bottleneck's middle filters: a group of their own
            b.add(new GateGroup(r.middle().name(), r.middle().filters(), GateGroup.Kind.UNIT,
                r.gated()));
          }
        }
        if (r.gated()) {
          b.add(new GateGroup(r.name(), 1, GateGroup.Kind.BLOCK, true));
        }
      } else if (l.gated()) {
        b.add(new GateGroup(l.name(), l.width()));
      }
      for (StreamGroup g : streams) {
        if (g.gated() && g.head().equals(l.name())) {
          b.add(new GateGroup(g.name(), l.width(), GateGroup.Kind.UNIT, false));
        }
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
    return new ArchitectureSpec(name, input.withGated(false), ImmutableList.copyOf(ls),
        streams.stream().map(g -> g.withGated(false)).collect(ImmutableList.toImmutableList()));
  }

  /** The same network without gates on its input features (its other gates kept). */
  public ArchitectureSpec withoutInputGates() {
    return new ArchitectureSpec(name, input.withGated(false), layers, streams);
  }

  /** The channels (features, for a flat input) of the tensor that flows into layer {@code index}. */
  public int inputWidthOf(int index) {
    checkArgument(index >= 0 && index < layers.size(), "no layer %s in %s", index, name);
    return shapes().get(index).channels();
  }

  /**
   * The gate group whose gates multiply the channels flowing into layer {@code index}, or null
   * when they are not gated: the group of the nearest earlier layer that outputs channels
   * (through pooling and padding, and through depthwise convs, which keep their input's
   * channels), i.e. its own gates or its gated stream group. A depthwise conv at {@code index}
   * is gated by this group.
   */
  public String channelGroupOf(int index) {
    checkArgument(index >= 0 && index < layers.size(), "no layer %s in %s", index, name);
    for (int j = index - 1; j >= 0; j--) {
      LayerSpec l = layers.get(j);
      if (l instanceof PoolLayer || l instanceof PadLayer
          || (l instanceof Conv2DLayer c && c.depthwise())) {
        continue;
      }
      if (l instanceof Conv2DLayer c) {
        return c.gated() ? c.name() : gatedStreamOf(c.name());
      }
      if (l instanceof ResidualBlock r) {
        return gatedStreamOf(r.name());
      }
      return null;
    }
    return null;
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
    Map<String, Integer> streamWidth = new HashMap<>();
    for (StreamGroup g : streams) {
      if (g.gated()) {
        int kept = mask.count(g.name());
        checkArgument(kept > 0, "keep-mask removes every channel of stream group '%s'; a residual "
            + "stream must keep at least one channel", g.name());
        g.members().forEach(m -> streamWidth.put(m, kept));
      }
    }
    List<LayerSpec> ls = new ArrayList<>();
    Map<String, String> renamed = new HashMap<>(); // member -> the layer that replaces it
    for (int i = 0; i < layers.size(); i++) {
      LayerSpec l = layers.get(i);
      Integer stream = streamWidth.get(l.name());
      String channels = l instanceof Conv2DLayer c && c.depthwise() ? channelGroupOf(i) : null;
      if (channels != null) {
        ls.add(l.withWidth(mask.count(channels))); // a depthwise conv keeps its input's channels
      } else if (l instanceof ResidualBlock r) {
        Optional<LayerSpec> c = (stream == null ? r : r.withWidth(stream)).compact(mask);
        c.ifPresent(ls::add);
        renamed.put(l.name(), c.map(LayerSpec::name).orElse(null));
      } else if (stream != null) {
        ls.add(l.withWidth(stream));
      } else if (l.gated()) {
        int kept = mask.count(l.name());
        checkArgument(kept > 0, "keep-mask removes every unit of layer '%s'; a layer that nothing "
            + "can bypass must keep at least one unit", l.name());
        ls.add(l.withWidth(kept));
      } else {
        ls.add(l);
      }
    }
    ImmutableList.Builder<StreamGroup> gs = ImmutableList.builder();
    for (StreamGroup g : streams) {
      List<String> members = new ArrayList<>();
      for (String m : g.members()) {
        String now = renamed.getOrDefault(m, m);
        if (now != null) {
          members.add(now); // a dead identity block leaves, a dead projection's shortcut stays
        }
      }
      gs.add(new StreamGroup(g.name(), ImmutableList.copyOf(members), g.gated()));
    }
    return new ArchitectureSpec(name, in, ImmutableList.copyOf(ls), gs.build());
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
        if (r.middle() != null) {
          w.add(r.middle().filters());
        }
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
