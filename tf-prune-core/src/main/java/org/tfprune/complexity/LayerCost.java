package org.tfprune.complexity;

/** Multiply-accumulates and parameters of one layer, in some number type. */
public record LayerCost<N>(String layer, N macs, N params) {}
