package org.tfprune.examples.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;
import org.tfprune.export.ExportException;
import org.tfprune.export.InferenceModel;

/**
 * What {@code tf-prune bench} feeds and fetches in a SavedModel, read from its {@code
 * saved_model.pb} in Java before TensorFlow loads it: the serving signature's one float input
 * (its tensor name and the shape of one example) and its output ({@code logits} when there is
 * one, else the only output).
 *
 * @param dir the SavedModel directory
 * @param signature the signature key
 * @param input the input tensor, as "op:index"
 * @param output the output tensor, as "op:index"
 * @param outputKey the output's key in the signature
 * @param exampleShape the input's shape without the batch dimension
 */
record ServingInterface(Path dir, String signature, String input, String output,
    String outputKey, long[] exampleShape) {

  /** The number of floats in one example. */
  int exampleSize() {
    return (int) Arrays.stream(exampleShape).reduce(1, (a, b) -> a * b);
  }

  /** The example shape as text, e.g. {@code [28, 28, 1]}. */
  String shapeString() {
    return Arrays.toString(exampleShape);
  }

  /**
   * Reads the interface of the SavedModel at {@code dir}, tagged {@code serve}, after checking
   * its files ({@link SavedModelFiles}).
   *
   * @param option how the user named the directory (e.g. {@code --pair dense=DIR}), for messages
   * @param outputKey the output to fetch, or null for {@code logits} or the only output
   * @throws ExportException naming the problem and the fix
   */
  static ServingInterface read(Path dir, String option, String outputKey) {
    if (!Files.isDirectory(dir)) {
      throw new ExportException(option + ": " + dir + (Files.exists(dir) ? " is a file"
          : " does not exist") + ": give a SavedModel directory (the one holding "
          + "saved_model.pb and variables/), e.g. one written by 'tf-prune train'");
    }
    if (!Files.isRegularFile(dir.resolve("saved_model.pb"))) {
      throw new ExportException(option + ": " + dir + " holds no saved_model.pb: give a "
          + "SavedModel directory (the one holding saved_model.pb and variables/), e.g. one "
          + "written by 'tf-prune train'");
    }
    String key = SavedModelFiles.check(dir, Set.of("serve"), null);
    SignatureDef sig = metaGraph(dir).getSignatureDefOrThrow(key);
    if (sig.getInputsCount() != 1) {
      throw new ExportException(option + ": the signature '" + key + "' of " + dir + " has "
          + sig.getInputsCount() + " inputs " + sig.getInputsMap().keySet() + ": bench feeds "
          + "one input; export the model with a single-input serving signature");
    }
    TensorInfo in = sig.getInputsMap().values().iterator().next();
    if (in.getDtype() != DataType.DT_FLOAT) {
      throw new ExportException(option + ": the input of " + dir + " is " + in.getDtype()
          + ": bench feeds float32 inputs; export the model with a float input");
    }
    String outKey = outputKey != null ? outputKey : defaultOutput(sig);
    TensorInfo out = sig.getOutputsMap().get(outKey);
    if (out == null) {
      throw new ExportException(option + ": the signature '" + key + "' of " + dir + " has no "
          + "output '" + outKey + "' (it has " + new TreeMap<>(sig.getOutputsMap()).keySet()
          + "): pair models with the same outputs, a compact model with the model it was "
          + "pruned from");
    }
    return new ServingInterface(dir, key, in.getName(), out.getName(), outKey,
        exampleShape(in.getTensorShape(), dir, option));
  }

  /** {@code logits} when the signature has it (or no output), else its first output by name. */
  private static String defaultOutput(SignatureDef sig) {
    Map<String, TensorInfo> outs = new TreeMap<>(sig.getOutputsMap());
    return outs.containsKey(InferenceModel.LOGITS) || outs.isEmpty() ? InferenceModel.LOGITS
        : outs.keySet().iterator().next();
  }

  private static long[] exampleShape(TensorShapeProto shape, Path dir, String option) {
    List<Long> dims = new ArrayList<>();
    shape.getDimList().forEach(d -> dims.add(d.getSize()));
    boolean known = !shape.getUnknownRank() && !dims.isEmpty()
        && dims.subList(1, dims.size()).stream().allMatch(d -> d > 0);
    if (!known) {
      throw new ExportException(option + ": the input of " + dir + " has the shape "
          + (shape.getUnknownRank() ? "(unknown rank)" : dims.toString()) + ": bench needs a "
          + "batch dimension followed by known sizes; export the model with a fixed example "
          + "shape");
    }
    return dims.subList(1, dims.size()).stream().mapToLong(Long::longValue).toArray();
  }

  private static MetaGraphDef metaGraph(Path dir) {
    Path pb = dir.resolve("saved_model.pb");
    try {
      SavedModel sm = SavedModel.parseFrom(Files.readAllBytes(pb));
      return sm.getMetaGraphsList().stream()
          .filter(m -> m.getMetaInfoDef().getTagsList().equals(List.of("serve")))
          .findFirst().orElseThrow(() -> new ExportException(dir + " has no meta graph tagged "
              + "'serve' alone: bench serves the 'serve' meta graph; export the model with it"));
    } catch (InvalidProtocolBufferException e) {
      throw new ExportException(pb + " cannot be parsed: copy or export the SavedModel again",
          e);
    } catch (IOException e) {
      throw new ExportException("cannot read " + pb + " (" + e + "): check that the file is "
          + "readable", e);
    }
  }
}
