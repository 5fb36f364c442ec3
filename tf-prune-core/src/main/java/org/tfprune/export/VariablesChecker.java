package org.tfprune.export;

import static org.tfprune.export.SavedModelValidator.MAX_TENSOR_BYTES;
import static org.tfprune.export.SavedModelValidator.SAVED_MODEL_PB;
import static org.tfprune.export.SavedModelValidator.byteSize;
import static org.tfprune.export.SavedModelValidator.multiply;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.zip.CRC32C;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.BundleEntryProto;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorShapeProto;

/** Checks a SavedModel's variables bundle (index, data files, checksums) against its graph. */
final class VariablesChecker {
  private static final Set<String> VARIABLE_OPS = Set.of("VariableV2", "Variable", "VarHandleOp");

  private final BiFunction<String, Throwable, ? extends RuntimeException> error;

  VariablesChecker(BiFunction<String, Throwable, ? extends RuntimeException> error) {
    this.error = error;
  }

  private RuntimeException fail(String message) {
    return error.apply(message, null);
  }

  /**
   * Checks {@code dir/variables/}: for a graph with variables, the index is an intact bundle
   * index, its data files exist, every entry fits its data file and matches its checksum, and
   * every {@code VariableV2} of {@code gd} has an entry of its dtype and shape (resource variables
   * are saved under other names). Nothing is checked for a graph without variables.
   */
  void checkVariables(Path dir, GraphDef gd) {
    List<NodeDef> vars = gd.getNodeList().stream().filter(n -> VARIABLE_OPS.contains(n.getOp()))
        .toList();
    if (vars.isEmpty()) {
      return;
    }
    Path varDir = dir.resolve("variables");
    Path index = varDir.resolve("variables.index");
    boolean data;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(varDir, "variables.data-*")) {
      data = ds.iterator().hasNext();
    } catch (NoSuchFileException e) {
      data = false;
    } catch (IOException e) {
      throw error.apply("cannot list " + varDir + " (" + e + "): check that the directory is "
          + "readable", e);
    }
    boolean hasIndex = Files.isRegularFile(index);
    if (!hasIndex || !data) {
      throw fail(dir + " is missing its variable files (" + (hasIndex ? ""
          : "variables/variables.index") + (!hasIndex && !data ? " and " : "") + (data ? ""
          : "variables/variables.data-*") + "), which hold the values of its " + vars.size()
          + " variables (e.g. " + vars.get(0).getName() + "): copy the whole SavedModel "
          + "directory, saved_model.pb together with variables/");
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(index);
    } catch (IOException e) {
      throw error.apply("cannot read " + index + " (" + e + "): check that the file is readable",
          e);
    }
    if (bytes.length == 0) {
      throw fail(index + " is empty: the file is truncated; copy the whole SavedModel directory "
          + "again or re-export the model");
    }
    TensorBundleIndex.Index bundle;
    try {
      bundle = TensorBundleIndex.parse(bytes);
    } catch (IllegalArgumentException e) {
      throw error.apply(index + " is not an intact variables index: " + e.getMessage() + ". The "
          + "file is truncated or corrupt; copy the whole SavedModel directory again or "
          + "re-export the model", e);
    }
    int shards = bundle.header().getNumShards();
    if (shards < 1 || shards > 100_000) {
      throw fail(index + " declares " + shards + " data files: the file is corrupt; copy the "
          + "whole SavedModel directory again or re-export the model");
    }
    byte[][] shardBytes = new byte[shards][];
    for (Map.Entry<String, BundleEntryProto> e : bundle.entries().entrySet()) {
      BundleEntryProto entry = e.getValue();
      if (entry.getSlicesCount() > 0) {
        continue; // a partitioned variable: its slices are separate entries
      }
      if (entry.getShardId() < 0 || entry.getShardId() >= shards) {
        throw fail(index + " puts variable '" + e.getKey() + "' in data file "
            + entry.getShardId() + " of " + shards + ": the file is corrupt; copy the whole "
            + "SavedModel directory again or re-export the model");
      }
      Path shard = varDir.resolve(String.format("variables.data-%05d-of-%05d",
          entry.getShardId(), shards));
      if (shardBytes[entry.getShardId()] == null) {
        shardBytes[entry.getShardId()] = readShard(shard, e.getKey());
      }
      byte[] s = shardBytes[entry.getShardId()];
      long n = 1;
      for (TensorShapeProto.Dim d : entry.getShape().getDimList()) {
        n = d.getSize() < 0 ? -1 : multiply(n, d.getSize());
        if (n < 0) {
          break;
        }
      }
      int element = byteSize(entry.getDtype());
      if (n < 0 || (element > 0 && entry.getSize() != multiply(n, element))) {
        throw fail(index + " gives variable '" + e.getKey() + "' (" + entry.getDtype() + ", "
            + "shape " + dims(entry.getShape()) + ") " + entry.getSize() + " bytes: the file is "
            + "corrupt; copy the whole SavedModel directory again or re-export the model");
      }
      if (entry.getOffset() < 0 || entry.getSize() < 0
          || entry.getOffset() + entry.getSize() > s.length) {
        throw fail(shard + " has " + s.length + " bytes, but variable '" + e.getKey() + "' "
            + "lies at bytes " + entry.getOffset() + " to " + (entry.getOffset()
            + entry.getSize()) + ": the file is truncated; copy the whole SavedModel directory "
            + "again or re-export the model");
      }
      CRC32C crc = new CRC32C();
      crc.update(s, (int) entry.getOffset(), (int) entry.getSize());
      if (element > 0 && TensorBundleIndex.mask((int) crc.getValue()) != entry.getCrc32C()) {
        throw fail("the bytes of variable '" + e.getKey() + "' in " + shard + " do not match "
            + "their checksum: the file is corrupt; copy the whole SavedModel directory again or "
            + "re-export the model");
      }
    }
    for (NodeDef v : vars) {
      if (v.getOp().equals("VarHandleOp")) {
        continue; // saved under its object graph path, not its node name
      }
      BundleEntryProto entry = bundle.entries().get(v.getName());
      if (entry == null) {
        throw fail("variable '" + v.getName() + "' of " + dir.resolve(SAVED_MODEL_PB)
            + " is absent from " + index + " (it holds " + bundle.entries().size()
            + " variables): the variables do not belong to this graph; copy the whole "
            + "SavedModel directory, saved_model.pb together with its variables/, or re-export "
            + "the model");
      }
      AttrValue none = AttrValue.getDefaultInstance();
      DataType type = v.getAttrOrDefault("dtype", none).getType();
      String shape = dims(v.getAttrOrDefault("shape", none).getShape());
      if (entry.getDtype() != type || !dims(entry.getShape()).equals(shape)) {
        throw fail("variable '" + v.getName() + "' is " + type + " " + shape + " in "
            + dir.resolve(SAVED_MODEL_PB) + " but " + entry.getDtype() + " "
            + dims(entry.getShape()) + " in " + index + ": the variables do not belong to this "
            + "graph; copy the whole SavedModel directory again or re-export the model");
      }
    }
  }

  private byte[] readShard(Path shard, String variable) {
    try {
      long size = Files.size(shard);
      if (size > MAX_TENSOR_BYTES) {
        // too large to hold: check the sizes only, by reading the length
        throw fail(shard + " has " + size + " bytes, more than tf-prune reads; split the "
            + "model's variables");
      }
      try (InputStream in = Files.newInputStream(shard)) {
        return in.readAllBytes();
      }
    } catch (NoSuchFileException e) {
      throw error.apply(shard + " does not exist, but variables.index puts variable '"
          + variable + "' in it: copy the whole SavedModel directory (every variables.data-* "
          + "file) again or re-export the model", e);
    } catch (IOException e) {
      throw error.apply("cannot read " + shard + " (" + e + "): check that the file is readable",
          e);
    }
  }

  private static String dims(TensorShapeProto s) {
    List<Long> d = new ArrayList<>();
    s.getDimList().forEach(x -> d.add(x.getSize()));
    return d.toString();
  }

  /** The entry names of {@code dir/variables/variables.index}; empty when it is absent. */
  Set<String> names(Path dir) {
    Path index = dir.resolve("variables").resolve("variables.index");
    if (!Files.isRegularFile(index)) {
      return Set.of();
    }
    try {
      return Set.copyOf(TensorBundleIndex.parse(Files.readAllBytes(index)).entries().keySet());
    } catch (IOException e) {
      throw error.apply("cannot read " + index + " (" + e + "): check that the file is readable",
          e);
    } catch (IllegalArgumentException e) {
      throw error.apply(index + " is not an intact variables index: " + e.getMessage() + ". The "
          + "file is truncated or corrupt; copy the whole SavedModel directory again or "
          + "re-export the model", e);
    }
  }
}
