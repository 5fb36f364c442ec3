package org.tfprune.imports;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableSet;
import java.util.Arrays;

/**
 * How to read a model: the meta graph's tags (comma-separated, {@code serve} by default), the
 * signature key (null: {@code serving_default} or the only signature) and the initial gate
 * probability {@code theta} of every inserted gate.
 */
public record ImportOptions(String tags, String signatureKey, float thetaInit) {
  /** Tag {@code serve}, the default signature, theta 1. */
  public static final ImportOptions DEFAULT = new ImportOptions("serve", null, 1f);

  public ImportOptions {
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
    return new ImportOptions(t, signatureKey, thetaInit);
  }

  public ImportOptions withSignatureKey(String key) {
    return new ImportOptions(tags, key, thetaInit);
  }

  public ImportOptions withThetaInit(float theta) {
    return new ImportOptions(tags, signatureKey, theta);
  }
}
