/**
 * The library's public API in one place: {@link org.tfprune.api.TfPrune} wraps a SavedModel (or
 * takes a spec), prune-trains it on the caller's data with the knobs, and exports the verified
 * compact SavedModel.
 */
package org.tfprune.api;
