package org.tfprune.examples.experiments;

import org.tfprune.train.TrainingResult;

/** A finished run: its recipe, the trainer's result, the gates' trace and the summary. */
public record TrainedRun(RunRecipe recipe, TrainingResult result, ThetaTrace trace,
    RunSummary summary) {}
