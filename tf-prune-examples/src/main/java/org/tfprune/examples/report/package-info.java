/** Run reports: machine-readable JSON and a human-readable table. */
package org.tfprune.examples.report;
