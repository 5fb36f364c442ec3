package org.tfprune.train;

import com.google.common.collect.ImmutableMap;

/**
 * What one epoch produced, for progress, history and reports.
 *
 * @param phase "prune" (sampled gates, theta learned), "finetune" or "dense"
 * @param dataLoss mean training cross-entropy over the epoch
 * @param objective mean training objective over the epoch
 * @param testAccuracy accuracy of the deterministic network on the evaluation set
 * @param liveWidths live structures per gate group of the deterministic network
 * @param macsFraction deterministic MACs over dense MACs
 * @param paramsFraction deterministic parameters over dense parameters
 * @param binaryFraction fraction of theta within 0.01 of 0 or 1
 * @param frozen structures pruned for good so far
 * @param seconds wall time of the epoch's training steps (evaluation excluded)
 * @param trainingMacs MACs per example of the forward pass of the graph that was trained at the
 *     end of the epoch: falls when the trainer rebuilds the graph without frozen structures
 * @param strength the strength the objective used at the end of the epoch: the knob's, or where
 *     a budget's controller had taken it (0 in fine-tuning and dense epochs)
 */
public record EpochStats(int epoch, String phase, double dataLoss, double objective,
    double testAccuracy, ImmutableMap<String, Integer> liveWidths, double macsFraction,
    double paramsFraction, double binaryFraction, int frozen, double seconds,
    double trainingMacs, double strength) {}
