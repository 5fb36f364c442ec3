/**
 * The importer: reads a TF-Java (TF1-style) SavedModel or a frozen GraphDef, recognises its layers
 * and builds an architecture spec with gates plus the trained weights, checked against the
 * original model.
 */
package org.tfprune.imports;
