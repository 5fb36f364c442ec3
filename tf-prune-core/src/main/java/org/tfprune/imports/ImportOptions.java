package org.tfprune.imports;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import java.util.Arrays;

/**
 * How to read a model: the meta graph's tags (comma-separated, {@code serve} by default), the
 * signature key (null: {@code serving_default} or the only signature), the initial gate
 * probability {@code theta} of every inserted gate, and whether a residual network's stream
 * channels are coupled and gated per stage ({@link
 * org.tfprune.spec.ArchitectureSpec#withCoupledStreamChannels}), and values fed to
 * training-only placeholders ({@code --feed keep_prob=1}).
 */
public record ImportOptions(String tags, String signatureKey, float thetaInit,
    boolean coupleStreamChannels, ImmutableMap<String, Float> feeds) {
  /** Tag {@code serve}, the default signature, theta 1, stream channels not gated. */
  public static final ImportOptions DEFAULT = new ImportOptions("serve", null, 1f);

  /** Options that leave a residual network's stream channels ungated. */
  public ImportOptions(String tags, String signatureKey, float thetaInit) {
    this(tags, signatureKey, thetaInit, false);
  }

  /** Options without values for training-only placeholders. */
  public ImportOptions(String tags, String signatureKey, float thetaInit,
      boolean coupleStreamChannels) {
    this(tags, signatureKey, thetaInit, coupleStreamChannels, ImmutableMap.of());
  }

  public ImportOptions {
    feeds = feeds == null ? ImmutableMap.of() : feeds;
    checkArgument(tags != null && !tags.isBlank(), "the meta graph tags must not be empty");
    checkArgument(signatureKey == null || !signatureKey.isBlank(),
        "the signature key must not be blank");
    checkArgument(thetaInit > 0f && thetaInit <= 1f, "initial theta must be in (0, 1], got %s",
        thetaInit);
  }

  /** The tags as a set. */
  public ImmutableSet<String> tagSet() {
    return Arrays.stream(tags.split(",")).map(String::trim).filter(t -> !t.isEmpty())
        .collect(ImmutableSet.toImmutableSet());
  }

  public ImportOptions withTags(String t) {
    return new ImportOptions(t, signatureKey, thetaInit, coupleStreamChannels, feeds);
  }

  public ImportOptions withSignatureKey(String key) {
    return new ImportOptions(tags, key, thetaInit, coupleStreamChannels, feeds);
  }

  public ImportOptions withThetaInit(float theta) {
    return new ImportOptions(tags, signatureKey, theta, coupleStreamChannels, feeds);
  }

  public ImportOptions withCoupledStreamChannels(boolean couple) {
    return new ImportOptions(tags, signatureKey, thetaInit, couple, feeds);
  }

  /**
   * With values for training-only placeholders (a dropout {@code keep_prob} of 1, an {@code
   * is_training} of 0), by placeholder name.
   */
  public ImportOptions withFeeds(java.util.Map<String, Float> values) {
    return new ImportOptions(tags, signatureKey, thetaInit, coupleStreamChannels,
        ImmutableMap.copyOf(values));
  }
}
