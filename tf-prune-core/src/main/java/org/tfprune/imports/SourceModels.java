package org.tfprune.imports;

import static org.tfprune.imports.SourceModel.SAVED_MODEL_PB;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;
import org.tfprune.export.SavedModelValidator;
import org.tfprune.export.ServingContract;

/**
 * Opens the models tf-prune imports as {@link SourceModel}s: a TF1-style SavedModel (loaded as
 * it is), a SavedModel written by Python TF2 (its serving paths flattened and frozen, {@link
 * Tf2SavedModelReader}) or a frozen GraphDef file. The files are checked before TensorFlow's
 * native code reads them; every refusal is an {@link ImportException} naming the problem and
 * the fix.
 */
final class SourceModels {
  /** Checks the files before TensorFlow's native code reads them. */
  private static final SavedModelValidator VALIDATOR =
      SavedModelValidator.reportingWith(ImportException::new);

  private SourceModels() {}

  /**
   * Opens a SavedModel directory (or its {@code saved_model.pb}) or a frozen GraphDef file.
   *
   * @throws ImportException when the files are missing, damaged or of an unsupported kind
   */
  static SourceModel open(Path path, ImportOptions options) {
    Path p = path.toAbsolutePath().normalize();
    if (!Files.exists(p)) {
      throw new ImportException(p + " does not exist: pass a SavedModel directory or a frozen "
          + "GraphDef (.pb) file");
    }
    if (Files.isRegularFile(p) && p.getFileName().toString().equals(SAVED_MODEL_PB)) {
      p = p.getParent();
    }
    return Files.isDirectory(p) ? openSavedModel(p, options) : openGraphDef(p);
  }

  private static SourceModel openSavedModel(Path dir, ImportOptions options) {
    Path pb = dir.resolve(SAVED_MODEL_PB);
    if (!Files.isRegularFile(pb)) {
      String hint = Files.exists(dir.resolve("saved_model.pbtxt"))
          ? " (it holds saved_model.pbtxt, the text format, which tf-prune does not read: "
              + "write the binary saved_model.pb)"
          : "";
      throw new ImportException(dir + " holds no " + SAVED_MODEL_PB + hint + ": pass a "
          + "SavedModel directory or a frozen GraphDef (.pb) file");
    }
    SavedModel sm = VALIDATOR.parse(dir);
    ImmutableSet<String> tags = options.tagSet();
    MetaGraphDef meta = null;
    List<String> available = new ArrayList<>();
    for (MetaGraphDef m : sm.getMetaGraphsList()) {
      available.add("'" + String.join(",", m.getMetaInfoDef().getTagsList()) + "'");
      if (ImmutableSet.copyOf(m.getMetaInfoDef().getTagsList()).equals(tags)) {
        meta = m;
      }
    }
    if (meta == null) {
      throw new ImportException(dir + " has no meta graph tagged '" + String.join(",", tags)
          + "'; its meta graph" + (available.size() == 1 ? " is" : "s are") + " tagged "
          + String.join(" and ", available) + ": pass --tag "
          + String.join(",", sm.getMetaGraphs(0).getMetaInfoDef().getTagsList()));
    }
    GraphDef gd = meta.getGraphDef();
    if (gd.getNodeCount() == 0) {
      throw new ImportException(pb + " holds an empty graph: the file is truncated or corrupt; "
          + "copy or export the SavedModel again");
    }
    VALIDATOR.checkMetaGraph(meta, pb);
    SourceSignature sig = SignatureReader.signature(meta, options.signatureKey(), dir);
    if (Tf2Structure.detect(gd, meta.hasObjectGraphDef()).isPresent()) {
      SourceModel flat = openFlattened(dir, meta, sig, tags);
      flat.useAssets(TableAssets.files(dir, meta));
      return flat;
    }
    GraphIndex index = new GraphIndex(gd, pb.toString());
    SignatureReader.checkNodes(index, sig);
    VALIDATOR.checkVariables(dir, gd);
    SavedModelBundle bundle;
    try {
      bundle = SavedModelBundle.loader(dir.toString()).withTags(tags.toArray(String[]::new))
          .load();
    } catch (RuntimeException e) {
      TableAssets.checkPresent(dir, meta, e);
      throw new ImportException("TensorFlow could not load the SavedModel " + dir + ": "
          + e.getMessage() + ". The variables/ directory may be incomplete or damaged: copy the "
          + "whole SavedModel directory again or re-export the model", e);
    }
    try {
      List<String> notes = new ArrayList<>();
      ImmutableList<ServingContract.Signature> all = SourceSignatures.all(meta, sig, notes);
      SourceModel m = new SourceModel(dir, dir.getFileName().toString(), gd, sig, all,
          ImmutableMap.of(), ImmutableList.copyOf(notes), bundle, null, bundle.session());
      m.useAssets(TableAssets.files(dir, meta));
      return m;
    } catch (RuntimeException e) {
      bundle.close();
      throw e;
    }
  }

  /**
   * A SavedModel whose serving path calls functions or reads resource variables: its serving
   * path is flattened and frozen ({@link Tf2SavedModelReader}) and read from a graph of its own;
   * the loaded original computes the outputs the import is checked against.
   */
  private static SourceModel openFlattened(Path dir, MetaGraphDef meta, SourceSignature sig,
      ImmutableSet<String> tags) {
    Tf2SavedModelReader.Frozen f = Tf2SavedModelReader.read(dir, meta, sig,
        tags.toArray(String[]::new), VALIDATOR);
    Graph g = new Graph();
    Session s = null;
    try {
      g.importGraphDef(f.graph());
      s = new Session(g);
      return new SourceModel(dir, dir.getFileName().toString(), f.graph(), sig, f.signatures(),
          f.originals(), f.notes(), f.bundle(), g, s);
    } catch (RuntimeException e) {
      if (s != null) {
        s.close();
      }
      g.close();
      f.bundle().close();
      throw e instanceof ImportException ie ? ie : new ImportException("TensorFlow could not "
          + "load the flattened serving path of " + dir + ": " + e.getMessage() + ". This is a "
          + "bug in tf-prune's reader of TF2 SavedModels: please report it with the model's "
          + "saved_model.pb", e);
    }
  }

  private static SourceModel openGraphDef(Path file) {
    GraphDef gd;
    try {
      gd = GraphDef.parseFrom(Files.readAllBytes(file));
    } catch (InvalidProtocolBufferException e) {
      throw new ImportException(file + " cannot be parsed as a GraphDef (" + e.getMessage()
          + "): the file is truncated or corrupt, or not a frozen GraphDef", e);
    } catch (IOException e) {
      throw new ImportException("cannot read " + file + " (" + e + "): check that the file is "
          + "readable", e);
    }
    if (gd.getNodeCount() == 0) {
      throw new ImportException(file + " holds no graph nodes: it is not a frozen GraphDef (a "
          + "SavedModel is a directory holding saved_model.pb)");
    }
    Tf2Structure.detect(gd, false).ifPresent(t -> {
      throw new ImportException(t.message(file.toString()));
    });
    List<String> variables = gd.getNodeList().stream()
        .filter(n -> n.getOp().startsWith("Variable")).map(NodeDef::getName).limit(5).toList();
    if (!variables.isEmpty()) {
      throw new ImportException(file + " holds variables " + variables + " but a GraphDef file "
          + "has no checkpoint to restore them from: freeze the graph (variables replaced by "
          + "constants) or pass the SavedModel directory");
    }
    VALIDATOR.checkGraph(gd, file.toString());
    SourceSignature sig = SignatureReader.frozenSignature(new GraphIndex(gd, file.toString()),
        file);
    Graph g = new Graph();
    try {
      g.importGraphDef(gd);
    } catch (RuntimeException e) {
      g.close();
      throw new ImportException("TensorFlow could not load the GraphDef " + file + ": "
          + e.getMessage() + ". The file may be damaged or use ops this TensorFlow ("
          + org.tensorflow.TensorFlow.version() + ") does not know", e);
    }
    Session s = new Session(g);
    try {
      String n = file.getFileName().toString();
      return new SourceModel(file, n.endsWith(".pb") ? n.substring(0, n.length() - 3) : n, gd,
          sig, ImmutableList.of(), ImmutableMap.of(), ImmutableList.of(), null, g, s);
    } catch (RuntimeException e) {
      s.close();
      g.close();
      throw e;
    }
  }
}
