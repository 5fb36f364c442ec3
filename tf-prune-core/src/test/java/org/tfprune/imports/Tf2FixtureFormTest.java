package org.tfprune.imports;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tfprune.testing.tf2.Tf2Fixtures;
import org.tfprune.testing.tf2.Tf2Fixtures.Form;
import org.tfprune.testing.tf2.Tf2Fixtures.Net;

/**
 * The TF2 fixtures have the structure of a SavedModel Keras 2 really writes: when the real model
 * (/work/shared/models/mnist_cnn_bn, Keras 2 on TensorFlow 2.10) is on this machine, its structural
 * features are compared with the fixtures' op by op: the top-level op kinds, how deep the serving
 * path nests calls, how the captured variables are passed, the saver's form and how function
 * bodies name their inputs.
 */
class Tf2FixtureFormTest {
  private static final Pattern BODY_INPUT = Pattern.compile("[^:^]+:[A-Za-z_][A-Za-z0-9_]*:\\d+");

  /** The structural features compared. */
  record ModelForm(Set<String> topLevelOps, int callDepth, String servingCallInputs,
      String wrapperArgs, String saver, Set<String> restoreOps, boolean bodyInputsNamedByArg,
      String signatureTensors) {}

  static ModelForm features(Path dir) {
    MetaGraphDef meta;
    try {
      meta = SavedModel.parseFrom(Files.readAllBytes(dir.resolve("saved_model.pb")))
          .getMetaGraphs(0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    GraphDef g = meta.getGraphDef();
    Map<String, NodeDef> top = new HashMap<>();
    g.getNodeList().forEach(n -> top.put(n.getName(), n));
    Map<String, FunctionDef> lib = new HashMap<>();
    g.getLibrary().getFunctionList().forEach(f -> lib.put(f.getSignature().getName(), f));
    Set<String> ops = new TreeSet<>();
    g.getNodeList().forEach(n -> ops.add(n.getOp()));
    SignatureDef sig = meta.getSignatureDefOrThrow("serving_default");
    String out = sig.getOutputsMap().values().iterator().next().getName();
    NodeDef call = top.get(TensorRef.parse(out).node());
    // the serving call: a placeholder, then the captured handles, typed FLOAT then RESOURCEs
    List<String> ins = call.getInputList();
    boolean handles = ins.subList(1, ins.size()).stream().allMatch(i -> top.get(i).getOp()
        .equals("VarHandleOp"));
    List<DataType> tin = call.getAttrOrThrow("Tin").getList().getTypeList();
    String callInputs = top.get(ins.get(0)).getOp() + " + " + (handles ? "VarHandleOp" : "?")
        + " x " + (ins.size() - 1) + ", Tin " + tin.get(0) + " + " + tin.get(1) + "...";
    FunctionDef wrapper = lib.get(call.getAttrOrThrow("f").getFunc().getName());
    String wrapperArgs = wrapper.getSignature().getName().replaceAll("\\d+$", "N") + "("
        + wrapper.getSignature().getInputArg(1).getName() + ", "
        + wrapper.getSignature().getInputArg(2).getName() + ", ...)";
    // depth: follow the calls from the output to the first op that is neither call nor Identity
    int depth = 0;
    FunctionDef f = null;
    NodeDef n = call;
    for (int guard = 0; guard < 100; guard++) {
      if (n.getOp().equals("StatefulPartitionedCall") || n.getOp().equals("PartitionedCall")) {
        f = lib.get(n.getAttrOrThrow("f").getFunc().getName());
        depth++;
        n = node(f, f.getRetMap().values().iterator().next());
      } else if (n.getOp().equals("Identity")) {
        n = node(f, n.getInput(0));
      } else {
        break;
      }
    }
    NodeDef restore = top.get(meta.getSaverDef().getRestoreOpName());
    FunctionDef restoreFn = lib.get(restore.getAttrOrThrow("f").getFunc().getName());
    Set<String> restoreOps = new TreeSet<>();
    restoreFn.getNodeDefList().forEach(x -> restoreOps.add(x.getOp()));
    String saver = meta.getSaverDef().getFilenameTensorName() + " / save "
        + top.get(TensorRef.parse(meta.getSaverDef().getSaveTensorName()).node()).getOp()
        + " / restore " + restore.getOp() + " " + restoreFn.getSignature().getName()
        .replaceAll("\\d+$", "N") + " / " + meta.getSaverDef().getVersion();
    boolean named = true;
    for (FunctionDef fn : lib.values()) {
      Set<String> args = new TreeSet<>();
      fn.getSignature().getInputArgList().forEach(a -> args.add(a.getName()));
      for (NodeDef x : fn.getNodeDefList()) {
        for (String i : x.getInputList()) {
          named &= i.startsWith("^") || args.contains(i) || BODY_INPUT.matcher(i).matches();
        }
      }
    }
    String in = sig.getInputsMap().values().iterator().next().getName();
    String tensors = in.replaceAll("serving_default_.*:0", "serving_default_<input key>:0")
        + " -> " + out;
    return new ModelForm(ops, depth, callInputs, wrapperArgs, saver, restoreOps, named, tensors);
  }

  private static NodeDef node(FunctionDef f, String ref) {
    String name = ref.split(":")[0];
    return f.getNodeDefList().stream().filter(x -> x.getName().equals(name)).findFirst()
        .orElseThrow();
  }

  @Test
  void theKeras2FixturesHaveTheStructureOfTheRealKerasModel() {
    Assumptions.assumeTrue(Files.isRegularFile(Tf2RealModelTest.REAL.resolve("saved_model.pb")),
        "the real Keras model is not on this machine");
    ModelForm real = features(Tf2RealModelTest.REAL);
    System.out.println("real model form: " + real);
    assertThat(real.callDepth()).isEqualTo(2);
    for (Net net : Net.values()) {
      ModelForm fixture = features(Tf2Fixtures.get(net, Form.KERAS2));
      assertThat(fixture).as(net + " KERAS2").isEqualTo(new ModelForm(real.topLevelOps(), 2,
          real.servingCallInputs().replaceAll("x \\d+", fixture.servingCallInputs()
              .replaceAll(".* x (\\d+).*", "x $1")), real.wrapperArgs(), real.saver(),
          real.restoreOps(), true, real.signatureTensors()));
      ModelForm nested = features(Tf2Fixtures.get(net, Form.KERAS2_NESTED));
      assertThat(nested.callDepth()).as("one function per layer").isEqualTo(3);
      assertThat(nested.bodyInputsNamedByArg()).isTrue();
      assertThat(nested.saver()).isEqualTo(real.saver());
    }
  }

  @Test
  void theFixturesServingPathNestsAsWritten() {
    assertThat(features(Tf2Fixtures.get(Net.MLP, Form.KERAS2)).callDepth()).isEqualTo(2);
    assertThat(features(Tf2Fixtures.get(Net.CONV, Form.KERAS2_NESTED)).callDepth()).isEqualTo(3);
  }
}
