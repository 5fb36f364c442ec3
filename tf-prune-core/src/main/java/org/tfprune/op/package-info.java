/** {@link org.tfprune.op.PruneOps}: graph ops for gates and expected complexity, in the style of TF-Java's FrameworkOps. */
package org.tfprune.op;
