package org.tfprune.export;

import java.nio.file.Path;
import java.util.Set;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;

/**
 * Loads a SavedModel (e.g. one tf-prune exported) with TF-Java after checking its files with
 * {@link SavedModelValidator}, so a damaged model is an {@link ExportException} naming the file,
 * the problem and the fix instead of a crash in native code.
 */
public final class SavedModelLoader {
  private SavedModelLoader() {}

  /**
   * Checks and loads the meta graph of {@code dir} tagged {@code tags} (default {@code serve}).
   * The caller closes the bundle.
   *
   * @throws ExportException when the files are missing, damaged or do not fit together
   */
  public static SavedModelBundle load(Path dir, String... tags) {
    String[] t = tags.length == 0 ? new String[] {"serve"} : tags;
    SavedModelValidator v = SavedModelValidator.forExport();
    SavedModel sm = v.parse(dir);
    MetaGraphDef meta = v.metaGraph(sm, dir, Set.of(t));
    v.checkMetaGraph(meta, dir.resolve(SavedModelValidator.SAVED_MODEL_PB));
    v.checkFunctions(meta.getGraphDef(), dir.resolve(SavedModelValidator.SAVED_MODEL_PB)
        .toString());
    v.checkVariables(dir, meta.getGraphDef());
    try {
      return SavedModelBundle.loader(dir.toString()).withTags(t).load();
    } catch (RuntimeException e) {
      throw new ExportException("TensorFlow could not load the SavedModel " + dir + ": "
          + e.getMessage() + ". Its files are damaged or do not fit together: copy the whole "
          + "SavedModel directory again or re-export the model", e);
    }
  }
}
