/** Reference architectures, each a class that returns an {@link org.tfprune.spec.ArchitectureSpec}. */
package org.tfprune.models;
