/** Host-side parameter values and their slicing by keep-masks. */
package org.tfprune.slice;
