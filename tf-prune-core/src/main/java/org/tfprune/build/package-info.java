/** The one graph builder: gated training graphs and compact export graphs from the same spec. */
package org.tfprune.build;
