/** The compact exporter: slice, rebuild, verify against the gated network, write atomically. */
package org.tfprune.export;
