package org.tfprune.export;

import static org.tfprune.export.SavedModelValidator.REEXPORT;
import static org.tfprune.export.SavedModelValidator.SAVED_MODEL_PB;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;

/** Reads {@code saved_model.pb} and finds the meta graph of a set of tags. */
final class SavedModelParser {
  private final BiFunction<String, Throwable, ? extends RuntimeException> error;

  SavedModelParser(BiFunction<String, Throwable, ? extends RuntimeException> error) {
    this.error = error;
  }

  private RuntimeException fail(String message) {
    return error.apply(message, null);
  }

  /** Parses {@code dir/saved_model.pb}; refuses a missing, unreadable or unparsable file. */
  SavedModel parse(Path dir) {
    Path pb = dir.resolve(SAVED_MODEL_PB);
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(pb);
    } catch (NoSuchFileException e) {
      throw error.apply(pb + " does not exist: point to a SavedModel directory (one holding "
          + "saved_model.pb and variables/)", e);
    } catch (IOException e) {
      throw error.apply("cannot read " + pb + " (" + e + "): check that the file is readable", e);
    }
    if (bytes.length == 0) {
      throw fail(pb + " is empty: the file is truncated; " + REEXPORT);
    }
    SavedModel sm;
    try {
      sm = SavedModel.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw error.apply(pb + " cannot be parsed (" + e.getMessage() + "): the file is truncated "
          + "or corrupt; " + REEXPORT, e);
    }
    if (sm.getMetaGraphsCount() == 0) {
      throw fail(pb + " holds no meta graph: the file is truncated or not a SavedModel; "
          + REEXPORT);
    }
    return sm;
  }

  /** The meta graph tagged exactly {@code tags}; refuses when there is none. */
  MetaGraphDef metaGraph(SavedModel sm, Path dir, Set<String> tags) {
    List<String> available = new ArrayList<>();
    for (MetaGraphDef m : sm.getMetaGraphsList()) {
      available.add("'" + String.join(",", m.getMetaInfoDef().getTagsList()) + "'");
      if (new HashSet<>(m.getMetaInfoDef().getTagsList()).equals(tags)) {
        return m;
      }
    }
    throw fail(dir + " has no meta graph tagged '" + String.join(",", tags) + "'; its meta graph"
        + (available.size() == 1 ? " is" : "s are") + " tagged " + String.join(" and ", available)
        + ": load it with one of those tags");
  }
}
