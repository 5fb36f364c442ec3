/** Image data sets (MNIST, Fashion-MNIST, CIFAR-10): file readers and in-memory {@link org.tfprune.examples.data.LabeledImages}. */
package org.tfprune.examples.data;
