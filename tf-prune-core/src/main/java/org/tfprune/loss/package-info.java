/** The complexity-aware objective: data loss, scale-mixture prior and expected complexity, steered by three knobs. */
package org.tfprune.loss;
