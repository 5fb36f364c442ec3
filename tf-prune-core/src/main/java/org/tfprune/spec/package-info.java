/** The architecture spec: an immutable description of a network, its gate groups and keep-masks. */
package org.tfprune.spec;
