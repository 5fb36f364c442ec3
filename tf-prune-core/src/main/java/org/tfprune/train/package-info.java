/** The trainer: weights and gates trained together, pruning condition, progress and results. */
package org.tfprune.train;
