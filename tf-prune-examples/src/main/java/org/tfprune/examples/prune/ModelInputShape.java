package org.tfprune.examples.prune;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;
import org.tfprune.export.SavedModelValidator;
import org.tfprune.imports.ImportOptions;

/**
 * The input shape a SavedModel's signature declares, read from {@code saved_model.pb} before the
 * model is imported, so that data of another shape is refused naming both shapes.
 */
final class ModelInputShape {
  private ModelInputShape() {}

  /**
   * The shape of the one input of the signature {@code options} select ({@code serving_default}
   * or the only one unless named), batch dimension first, -1 where unknown; empty for a frozen
   * GraphDef, a signature of several inputs or an unknown rank, and for a model that cannot be
   * read (the importer then says what is wrong with it).
   */
  static Optional<long[]> read(Path model, ImportOptions options) {
    if (!Files.isDirectory(model)) {
      return Optional.empty();
    }
    try {
      SavedModelValidator v = SavedModelValidator.forExport();
      SavedModel sm = v.parse(model);
      MetaGraphDef meta = v.metaGraph(sm, model, options.tagSet());
      Map<String, SignatureDef> sigs = meta.getSignatureDefMap();
      String key = options.signatureKey() != null ? options.signatureKey()
          : sigs.containsKey("serving_default") || sigs.size() != 1 ? "serving_default"
          : sigs.keySet().iterator().next();
      SignatureDef sig = sigs.get(key);
      if (sig == null || sig.getInputsCount() != 1) {
        return Optional.empty();
      }
      TensorInfo input = sig.getInputsMap().values().iterator().next();
      TensorShapeProto shape = input.getTensorShape();
      if (!input.hasTensorShape() || shape.getUnknownRank()) {
        return Optional.empty();
      }
      return Optional.of(shape.getDimList().stream().mapToLong(TensorShapeProto.Dim::getSize)
          .toArray());
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }
}
