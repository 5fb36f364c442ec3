package org.tfprune.train;

import com.google.common.collect.ImmutableMap;

/**
 * A progress snapshot taken at a pruning check inside an epoch.
 *
 * @param dataLoss mean cross-entropy over the steps since the last snapshot
 * @param objective mean complexity-aware objective over the same steps
 * @param liveWidths deterministic live structures per gate group ({@code theta >= 0.5})
 * @param macsFraction MACs of the deterministic network over the dense network's MACs
 */
public record StepProgress(int epoch, int epochs, int step, int stepsPerEpoch, double dataLoss,
    double objective, ImmutableMap<String, Integer> liveWidths, double macsFraction,
    int frozen) {}
