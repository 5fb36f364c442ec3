/** Complexity of a network: one cost formula, evaluated exactly on the host and as expectations in the graph. */
package org.tfprune.complexity;
