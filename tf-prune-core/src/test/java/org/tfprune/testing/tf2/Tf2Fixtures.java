package org.tfprune.testing.tf2;

import static org.tfprune.testing.tf2.OpWriter.type;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.FunctionDefLibrary;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;

/**
 * Writes SavedModels the way Python TensorFlow 2 / Keras writes them, with TF-Java's protos (no
 * Python here): a top-level graph of placeholders, {@code VarHandleOp}s and one {@code
 * StatefulPartitionedCall} per signature into {@code __inference_signature_wrapper_N}, which calls
 * the model function through another {@code StatefulPartitionedCall} (which may call one function
 * per layer); resource variables captured as trailing call inputs; a saver whose restore op is a
 * call of a function restoring every variable from the bundle (RestoreV2 + AssignVariableOp) and
 * whose save op is a call of a SaveV2 function; Keras-style signature keys and an
 * {@code __saved_model_init_op}; the variables bundle written by TensorFlow's SaveV2. Also the
 * form Keras on TF 1.15 writes: a flat graph of resource variables and a TF1 saver.
 * {@code Tf2FixtureFormTest} compares these files with a real one.
 */
public final class Tf2Fixtures {
  /** How a fixture is written. */
  public enum Form {
    /** Keras 2 {@code model.save}: layers inlined in the model function. */
    KERAS2,
    /** Keras 2 with one function per layer, called from the model function. */
    KERAS2_NESTED,
    /** Keras 3 {@code model.export}: signatures serve and serving_default, two handles a weight. */
    KERAS3,
    /** Keras on TF 1.15: a flat graph of resource variables, a TF1 saver, no functions. */
    TF1_RESOURCE
  }

  /** The network a fixture holds. */
  public enum Net {
    MLP, CONV
  }

  private static final Map<String, Path> BUILT = new HashMap<>();

  private Tf2Fixtures() {}

  /** The fixture of {@code net} in {@code form}, written once per JVM into a temporary dir. */
  public static synchronized Path get(Net net, Form form) {
    return BUILT.computeIfAbsent(net + "-" + form, k -> {
      try {
        Path dir = Files.createTempDirectory("tf2-fixtures").resolve(k.toLowerCase());
        write(dir, net, form, 1234);
        return dir;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  /** The signature's input key of a fixture. */
  public static String inputKey(Net net, Form form) {
    return form == Form.KERAS3 ? "keras_tensor" : net == Net.MLP ? "dense_input" : "conv2d_input";
  }

  /** The signature's output key of a fixture. */
  public static String outputKey(Net net, Form form) {
    return form == Form.KERAS3 ? "output_0" : net == Net.MLP ? "dense_2" : "dense";
  }

  /** Writes the fixture of {@code net} in {@code form} with weights drawn from {@code seed}. */
  public static void write(Path dir, Net net, Form form, long seed) {
    write(dir, net, form, seed, Set.of());
  }

  private static void write(Path dir, Net net, Form form, long seed, Set<String> unsaved) {
    FixtureNet n = net == Net.MLP ? FixtureNet.mlp(seed, form == Form.KERAS3)
        : FixtureNet.conv(seed);
    if (form == Form.TF1_RESOURCE) {
      Tf1ResourceWriter.write(dir, n, inputKey(net, form), outputKey(net, form));
    } else {
      new Tf2Writer(n, form, inputKey(net, form), outputKey(net, form), unsaved)
          .write(dir);
    }
  }

  /** A way a TF2 SavedModel can be damaged. */
  public enum Damage {
    /** The model function the signature wrapper calls is missing from the function library. */
    MISSING_FUNCTION,
    /** The bundle lacks the value of variable {@code dense/bias}, which the model restores. */
    VARIABLE_NOT_IN_BUNDLE,
    /** The signature's output names a tensor of a node the graph does not hold. */
    SIGNATURE_NAMES_MISSING_TENSOR,
    /** A function's {@code ret} names a node its body does not hold. */
    RET_NAMES_MISSING_NODE,
    /** A MatMul in the model function lacks its type attribute {@code T}. */
    FUNCTION_NODE_LACKS_ATTRIBUTE
  }

  /** Writes the Keras 2 MLP fixture into {@code dir} with {@code damage}; returns {@code dir}. */
  public static Path damaged(Path dir, Damage damage) {
    write(dir, Net.MLP, Form.KERAS2, 1234, damage == Damage.VARIABLE_NOT_IN_BUNDLE
        ? Set.of("dense/bias") : Set.of());
    if (damage == Damage.VARIABLE_NOT_IN_BUNDLE) {
      return dir;
    }
    try {
      Path pb = dir.resolve("saved_model.pb");
      SavedModel.Builder sm = SavedModel.parseFrom(Files.readAllBytes(pb)).toBuilder();
      MetaGraphDef.Builder meta = sm.getMetaGraphsBuilder(0);
      FunctionDefLibrary.Builder lib = meta.getGraphDefBuilder().getLibraryBuilder();
      for (int i = lib.getFunctionCount() - 1; i >= 0; i--) {
        boolean model = lib.getFunction(i).getSignature().getName().startsWith(
            "__inference__wrapped_model");
        if (model && damage == Damage.MISSING_FUNCTION) {
          lib.removeFunction(i);
        } else if (model && damage == Damage.FUNCTION_NODE_LACKS_ATTRIBUTE) {
          FunctionDef.Builder f = lib.getFunction(i).toBuilder();
          for (int k = 0; k < f.getNodeDefCount(); k++) {
            if (f.getNodeDef(k).getOp().equals("MatMul")) {
              f.setNodeDef(k, f.getNodeDef(k).toBuilder().removeAttr("T"));
            }
          }
          lib.setFunction(i, f);
        } else if (model && damage == Damage.RET_NAMES_MISSING_NODE) {
          lib.setFunction(i, lib.getFunction(i).toBuilder().putRet("identity",
              "Vanished:output:0"));
        }
      }
      if (damage == Damage.SIGNATURE_NAMES_MISSING_TENSOR) {
        SignatureDef.Builder sig = meta.getSignatureDefOrThrow("serving_default").toBuilder();
        sig.putOutputs("dense_2", Tf2Writer.info("StatefulPartitionedCall_7:0",
            new long[] {-1, 10}));
        meta.putSignatureDef("serving_default", sig.build());
      }
      Files.write(pb, sm.build().toByteArray());
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

}
