/** The {@code tf-prune} command-line tool. */
package org.tfprune.examples.cli;
