package org.tfprune.imports;

import com.google.common.collect.ImmutableMap;
import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.proto.AssetFileDef;
import org.tensorflow.proto.CollectionDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;

/**
 * The asset files of a SavedModel, as TensorFlow's loader finds them: the meta graph's {@code
 * asset_file_def} (TF2, and TF1 from 1.x on), else the {@code saved_model_assets} collection
 * (older TF1). Each names a string tensor (a TF1 {@code Const}, a TF2 {@code
 * asset_path_initializer} placeholder) that the loader feeds with {@code <dir>/assets/<filename>}
 * when it runs the init op, e.g. the vocabulary a table reads ({@code
 * InitializeTableFromTextFileV2}).
 */
final class TableAssets {
  /** The collection older TF1 SavedModels list their assets in. */
  static final String COLLECTION = "saved_model_assets";

  private TableAssets() {}

  /** Each asset's file, by the tensor the loader feeds it to ({@code node:index}). */
  static ImmutableMap<String, Path> files(Path dir, MetaGraphDef meta) {
    Map<String, Path> out = new LinkedHashMap<>();
    for (AssetFileDef a : defs(meta, dir)) {
      out.put(TensorRef.parse(a.getTensorInfo().getName()).toString(),
          dir.resolve("assets").resolve(a.getFilename()));
    }
    return ImmutableMap.copyOf(out);
  }

  /**
   * Refuses a SavedModel missing an asset file, naming the file and the table lookups that read
   * it: called when TensorFlow failed to load the model (its init op could not read the file).
   */
  static void checkPresent(Path dir, MetaGraphDef meta, Throwable loadFailure) {
    GraphIndex g = new GraphIndex(meta.getGraphDef(), dir.toString());
    for (Map.Entry<String, Path> a : files(dir, meta).entrySet()) {
      Path f = a.getValue();
      if (Files.isRegularFile(f) && Files.isReadable(f)) {
        continue;
      }
      List<String> readers = lookups(g, TensorRef.parse(a.getKey()));
      throw new ImportException(dir + " lists the asset file " + dir.relativize(f) + ", which "
          + (Files.exists(f) ? "cannot be read" : "is missing") + "; "
          + (readers.isEmpty() ? "the init op fills a table from it (fed through "
          + a.getKey() + ")" : "the table lookup " + String.join(" and ", readers)
          + " reads it") + ": copy the whole SavedModel directory, assets/ included, again",
          loadFailure);
    }
  }

  /** The lookups ({@code op name}) in tables filled from {@code file} by the top-level graph. */
  private static List<String> lookups(GraphIndex g, TensorRef file) {
    List<String> tables = new ArrayList<>();
    for (NodeDef n : g.nodes()) {
      List<TensorRef> in = GraphIndex.dataInputs(n);
      if (n.getOp().startsWith("InitializeTableFromTextFile") && in.size() > 1
          && g.find(in.get(1).node()).isPresent() && g.resolve(in.get(1)).equals(file)) {
        tables.add(g.resolve(in.get(0)).node());
      }
    }
    List<String> out = new ArrayList<>();
    for (NodeDef n : g.nodes()) {
      List<TensorRef> in = GraphIndex.dataInputs(n);
      if (TableLookups.isLookup(n) && !in.isEmpty() && g.find(in.get(0).node()).isPresent()
          && tables.contains(g.resolve(in.get(0)).node())) {
        out.add(n.getOp() + " " + n.getName());
      }
    }
    return out;
  }

  private static List<AssetFileDef> defs(MetaGraphDef meta, Path dir) {
    if (meta.getAssetFileDefCount() > 0) {
      return meta.getAssetFileDefList();
    }
    CollectionDef c = meta.getCollectionDefMap().get(COLLECTION);
    List<AssetFileDef> out = new ArrayList<>();
    if (c == null) {
      return out;
    }
    for (Any any : c.getAnyList().getValueList()) {
      try {
        out.add(AssetFileDef.parseFrom(any.getValue()));
      } catch (InvalidProtocolBufferException e) {
        throw new ImportException("the " + COLLECTION + " collection of " + dir + " holds a "
            + "damaged AssetFileDef (" + e.getMessage() + "): export the model again", e);
      }
    }
    return out;
  }
}
