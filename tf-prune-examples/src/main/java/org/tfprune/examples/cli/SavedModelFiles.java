package org.tfprune.examples.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tfprune.export.ExportException;
import org.tfprune.export.SavedModelLoader;

/**
 * Checks a SavedModel directory in Java before TensorFlow reads it, so that a missing, truncated
 * or foreign file, a wrong tag or a wrong signature key gets a message naming the file and the
 * fix instead of a native error (or a crash): {@code saved_model.pb} parses, holds a meta graph
 * with the tags asked for and the signature asked for, and a graph with variables has its
 * {@code variables/variables.index} and every {@code variables.data-NNNNN-of-MMMMM} shard.
 */
final class SavedModelFiles {
  private static final Set<String> VARIABLE_OPS = Set.of("VariableV2", "VarHandleOp",
      "Variable");
  private static final Pattern SHARD = Pattern.compile("variables\\.data-(\\d+)-of-(\\d+)");

  private final Path dir;
  private final Set<String> tags;
  private final String signatureKey;

  private SavedModelFiles(Path dir, Set<String> tags, String signatureKey) {
    this.dir = dir;
    this.tags = tags;
    this.signatureKey = signatureKey;
  }

  /**
   * Checks the SavedModel at {@code dir} read with {@code tags}; returns the key of the signature
   * to use: {@code signature} when given, else {@code serving_default} or the only signature.
   *
   * @throws ExportException naming the problem and the fix
   */
  static String check(Path dir, Set<String> tags, String signature) {
    return new SavedModelFiles(dir, tags, signature).check();
  }

  /**
   * Loads the checked SavedModel with plain TF-Java; a failure of TensorFlow (a truncated or
   * damaged variable file) becomes an {@link ExportException} naming the directory and the fix.
   */
  static SavedModelBundle load(Path dir, Set<String> tags) {
    try {
      // the graph and the variable files are validated in Java before TensorFlow reads them
      return SavedModelLoader.load(dir, tags.toArray(String[]::new));
    } catch (ExportException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new ExportException("TensorFlow could not load the SavedModel " + dir + ": "
          + firstLine(e.getMessage()) + ". variables/variables.index or a variables.data-* file "
          + "is truncated or damaged: copy the whole SavedModel directory again, or export it "
          + "again", e);
    }
  }

  private String check() {
    if (!Files.isDirectory(dir)) {
      throw new ExportException(dir + (Files.exists(dir) ? " is a file, not a SavedModel "
          + "directory" : " does not exist") + ": point --saved-model to a SavedModel directory "
          + "(the one holding saved_model.pb and variables/)");
    }
    Path pb = dir.resolve("saved_model.pb");
    if (!Files.isRegularFile(pb)) {
      throw new ExportException(dir + " holds no saved_model.pb: point --saved-model to a "
          + "SavedModel directory");
    }
    SavedModel sm;
    try {
      sm = SavedModel.parseFrom(Files.readAllBytes(pb));
    } catch (InvalidProtocolBufferException e) {
      throw new ExportException(pb + " cannot be parsed (" + e.getMessage() + "): the file is "
          + "truncated or is not a SavedModel; copy or export the SavedModel again", e);
    } catch (IOException e) {
      throw new ExportException("cannot read " + pb + " (" + e + "): check that the file is "
          + "readable", e);
    }
    if (sm.getMetaGraphsCount() == 0) {
      throw new ExportException(pb + " holds no meta graph: the file is truncated or is not a "
          + "SavedModel; copy or export the SavedModel again");
    }
    MetaGraphDef meta = metaGraph(sm);
    if (meta.getGraphDef().getNodeCount() == 0) {
      throw new ExportException(pb + " holds an empty graph: the file is truncated or damaged; "
          + "copy or export the SavedModel again");
    }
    String key = signature(meta);
    checkVariableFiles(meta);
    return key;
  }

  private MetaGraphDef metaGraph(SavedModel sm) {
    List<String> available = new ArrayList<>();
    for (MetaGraphDef m : sm.getMetaGraphsList()) {
      available.add("'" + String.join(",", m.getMetaInfoDef().getTagsList()) + "'");
      if (new TreeSet<>(m.getMetaInfoDef().getTagsList()).equals(new TreeSet<>(tags))) {
        return m;
      }
    }
    throw new ExportException(dir + " has no meta graph tagged '" + String.join(",", tags)
        + "'; it has " + String.join(" and ", available) + ": pass --tag "
        + String.join(",", sm.getMetaGraphs(0).getMetaInfoDef().getTagsList()));
  }

  private String signature(MetaGraphDef meta) {
    Map<String, SignatureDef> sigs = new TreeMap<>(meta.getSignatureDefMap());
    sigs.remove("__saved_model_init_op"); // an init op, not a signature
    if (sigs.isEmpty()) {
      throw new ExportException(dir + " has no serving signature: export it with one (TF-Java: "
          + "SavedModelBundle.exporter(dir).withSignature(...))");
    }
    if (signatureKey != null) {
      if (!sigs.containsKey(signatureKey)) {
        throw new ExportException(dir + " has no signature '" + signatureKey + "'; it has "
            + sigs.keySet() + ": pass --signature with one of them");
      }
      return signatureKey;
    }
    if (sigs.containsKey("serving_default")) {
      return "serving_default";
    }
    if (sigs.size() == 1) {
      return sigs.keySet().iterator().next();
    }
    throw new ExportException(dir + " has several signatures " + sigs.keySet() + " and none is "
        + "serving_default: pass --signature with one of them");
  }

  /** A graph with variables needs the index and every data shard the shard names announce. */
  private void checkVariableFiles(MetaGraphDef meta) {
    List<String> vars = meta.getGraphDef().getNodeList().stream()
        .filter(n -> VARIABLE_OPS.contains(n.getOp())).map(NodeDef::getName).toList();
    if (vars.isEmpty()) {
      return;
    }
    Path varDir = dir.resolve("variables");
    Path index = varDir.resolve("variables.index");
    Set<String> shards = new TreeSet<>();
    int expected = -1;
    if (Files.isDirectory(varDir)) {
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(varDir, "variables.data-*")) {
        for (Path p : ds) {
          Matcher m = SHARD.matcher(p.getFileName().toString());
          if (m.matches()) {
            shards.add(p.getFileName().toString());
            expected = Math.max(expected, Integer.parseInt(m.group(2)));
          }
        }
      } catch (IOException e) {
        throw new ExportException("cannot list " + varDir + " (" + e + "): check that the "
            + "directory is readable", e);
      }
    }
    List<String> missing = new ArrayList<>();
    if (!Files.isRegularFile(index)) {
      missing.add("variables/variables.index");
    }
    if (shards.isEmpty()) {
      missing.add("variables/variables.data-*");
    } else {
      for (int i = 0; i < expected; i++) {
        String name = String.format("variables.data-%05d-of-%05d", i, expected);
        if (!shards.contains(name)) {
          missing.add("variables/" + name);
        }
      }
    }
    if (!missing.isEmpty()) {
      throw new ExportException(dir + " is missing " + String.join(" and ", missing) + ", which "
          + "hold the values of its " + vars.size() + " variables (e.g. " + vars.get(0) + "): "
          + "copy the whole SavedModel directory, saved_model.pb together with variables/");
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "(no message)";
    }
    int nl = s.indexOf('\n');
    return (nl < 0 ? s : s.substring(0, nl)).strip();
  }
}
