package org.tfprune.loss;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * The Gaussian scale-mixture prior of one gate group, chosen from the layer's shape, never by the
 * user: an active structure's weights follow the slab {@code N(0, sigma1^2)}, a switched-off one's
 * the spike {@code N(0, sigma0^2)}.
 *
 * @param sigma1Squared slab variance, {@code slabGain / fan_in}
 * @param spikeRatio {@code sigma1 / sigma0}
 * @param weightsPerStructure {@code n_s}, the number of weights one structure owns
 */
public record PriorScales(double sigma1Squared, double spikeRatio, int weightsPerStructure) {
  /** Slab variance gain: sigma1^2 = 8 / fan_in (4x the He variance; measured best on MNIST). */
  public static final double SLAB_GAIN = 8.0;
  /** sigma1 / sigma0: 20 (measured on LeNet-300-100; 15-17 prunes harder, 30+ much less). */
  public static final double SPIKE_RATIO = 20.0;

  /**
   * Slab variance of a normalized filter's batch-norm {@code gamma} and {@code beta}: they start
   * at 1 and 0, and a slab of variance 2 leaves them free (its pull on {@code gamma = 1} is {@code
   * 1 / (4 N)}), while the spike ({@code sigma0^2 = 2 / 400}) drives a closed filter's to 0.
   */
  public static final double NORMALIZED_SLAB = 2.0;

  public PriorScales {
    checkArgument(sigma1Squared > 0 && spikeRatio > 1 && weightsPerStructure > 0,
        "invalid prior scales: sigma1^2=%s ratio=%s n=%s", sigma1Squared, spikeRatio,
        weightsPerStructure);
  }

  /** Automatic scales for a structure with {@code n} weights in a layer of fan-in {@code fanIn}. */
  public static PriorScales forLayer(int fanIn, int n) {
    return new PriorScales(SLAB_GAIN / fanIn, SPIKE_RATIO, n);
  }

  /**
   * Scales for a normalized filter's structure: its {@code n} batch-norm scales and offsets
   * (see {@code StructureWeights.normalized}).
   */
  public static PriorScales forNormalized(int n) {
    return new PriorScales(NORMALIZED_SLAB, SPIKE_RATIO, n);
  }

  public double sigma0Squared() {
    return sigma1Squared / (spikeRatio * spikeRatio);
  }

  /** The per-structure parameter price of the normaliser, {@code n_s ln(sigma1 / sigma0)}. */
  public double parameterPrice() {
    return weightsPerStructure * Math.log(spikeRatio);
  }
}
