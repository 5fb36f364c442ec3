package org.tfprune.spec;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import java.util.ArrayList;
import java.util.List;

/**
 * The residual stream channels of one stage, coupled through the residual additions and gated by
 * one shared gate vector (gate group {@link #name}). The stage is its {@link #members}, in layer
 * order: the <em>head</em>, which creates the stream (a convolution such as a ResNet's stem, or a
 * residual block with a projection shortcut), then the identity-shortcut blocks that add to it.
 * Channel {@code c} of the group is the head's output channel {@code c} and every member block's
 * output channel {@code c}.
 *
 * <p>Placement of the gate (what makes removal exact): the shared gate multiplies the stream
 * after the head's activation (the stem conv's BN + ReLU, or the projection block's addition and
 * its activation) and again after every member block's addition and activation (ReLU, or none in
 * a pre-activation or linear-bottleneck block), with one sample per example shared
 * by all these places. A channel whose gate is 0 is therefore exactly 0 everywhere in the stage's
 * stream: at every addition the identity shortcut carries 0 for it, and whatever the block's
 * branch adds (its last batch norm's offset) is multiplied away after the activation. Removing the
 * channel from the head's output, every member's last conv (and batch norm) and projection, and
 * the input of every consumer (each block's first conv, the next stage's projection, the dense
 * rows after global average pooling) therefore computes the same function.
 *
 * @param gated whether the shared gates exist (false in a dense or exported spec, which keeps the
 *     coupling as a description only)
 */
public record StreamGroup(String name, ImmutableList<String> members, boolean gated) {
  public StreamGroup {
    LayerSpec.checkName(name);
    checkNotNull(members, "members of stream group %s", name);
    checkArgument(!members.isEmpty(), "stream group '%s' has no members: list the layer that "
        + "creates the stream (a conv or a projection block) and the identity blocks after it",
        name);
  }

  /** A gated stream group. */
  public static StreamGroup of(String name, String... members) {
    return new StreamGroup(name, ImmutableList.copyOf(members), true);
  }

  /** The layer that creates the stream: the first member. */
  public String head() {
    return members.get(0);
  }

  /** The same group with its gates switched on or off. */
  public StreamGroup withGated(boolean g) {
    return new StreamGroup(name, members, g);
  }

  /**
   * The stream groups of a residual network, one per stage, named {@code stream1},
   * {@code stream2}, ...: a stage starts at a convolution (not a depthwise one: it keeps its
   * input's channels) whose output flows (through pooling only) into a residual block, or at a
   * block with a projection shortcut, and holds the
   * identity-shortcut blocks that follow.
   *
   * @throws IllegalArgumentException if {@code layers} holds no residual stage
   */
  public static ImmutableList<StreamGroup> derive(String specName, List<LayerSpec> layers) {
    List<StreamGroup> groups = new ArrayList<>();
    List<String> current = null;
    for (int i = 0; i < layers.size(); i++) {
      LayerSpec l = layers.get(i);
      checkArgument(!(l instanceof ResidualBlock r && r.preActivation() != null), "spec %s: "
          + "block '%s' normalizes its input (a pre-activation block); coupled stream channels "
          + "are supported for post-activation blocks only: leave the option off for this model",
          specName, l.name());
      boolean startsStage = l instanceof ResidualBlock r ? r.shortcut() != null
          : l instanceof Conv2DLayer c && !c.depthwise()
              && next(layers, i) instanceof ResidualBlock;
      if (startsStage) {
        close(groups, current);
        current = new ArrayList<>(List.of(l.name()));
      } else if (l instanceof ResidualBlock && current != null) {
        current.add(l.name());
      } else if (!(l instanceof PoolLayer)) {
        close(groups, current);
        current = null;
      }
    }
    close(groups, current);
    checkArgument(!groups.isEmpty(), "spec %s has no residual stage: coupled stream channels "
        + "need residual blocks whose stream starts at a conv or a projection block (a ResNet); "
        + "leave the option off for this model", specName);
    return ImmutableList.copyOf(groups);
  }

  private static void close(List<StreamGroup> groups, List<String> members) {
    if (members != null) {
      groups.add(new StreamGroup("stream" + (groups.size() + 1), ImmutableList.copyOf(members),
          true));
    }
  }

  /** The next layer after {@code i} that is not a pooling layer, or null. */
  static LayerSpec next(List<LayerSpec> layers, int i) {
    for (int j = i + 1; j < layers.size(); j++) {
      if (!(layers.get(j) instanceof PoolLayer)) {
        return layers.get(j);
      }
    }
    return null;
  }
}
