package org.tfprune.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tfprune.examples.report.RunReport;
import org.tfprune.testing.ArrayData;
import org.tfprune.testing.ContractModels;
import org.tfprune.testing.ForeignModels;
import org.tfprune.testing.Mnist;

/**
 * {@code tf-prune inspect} and {@code prune} on models whose serving contract is more than one
 * signature with logits and probabilities: several signatures, ArgMax / TopK / class-name
 * outputs, a rescaling prefix, a rank-3 input; and {@code inspect} on MobileNetV2's blocks.
 */
class ServingContractCommandTest {
  private static Path mnist;

  @TempDir Path tmp;

  @BeforeAll
  static void locateMnist() {
    mnist = CliRun.mnist();
  }

  private String[] quickPrune(Path in, Path out) {
    return new String[] {"prune", "--saved-model", in.toString(), "--data", "mnist",
        "--data-dir", mnist.toString(), "--train-limit", "3000", "--test-limit", "500",
        "--epochs", "4", "--finetune-epochs", "1", "--batch-size", "100", "--strength", "16",
        "--latency-budget-ms", "0", "--out", out.toString()};
  }

  private static MetaGraphDef meta(Path dir) throws Exception {
    return SavedModel.parseFrom(Files.readAllBytes(dir.resolve("saved_model.pb")))
        .getMetaGraphs(0);
  }

  @Test
  void inspectPrintsLayersGateGroupsKeptRegionsAndEverySignatureAndExitsZero() {
    Path m = tmp.resolve("two");
    ContractModels.writeTwoSignatures(m);
    CliRun r = CliRun.of("inspect", "--saved-model", m.toString());
    assertThat(r.exitCode()).as(r.err() + r.out()).isZero();
    assertThat(r.out()).contains("widths 784-32-10").contains("dense_1").contains("gate groups")
        .contains("rescaling/mul").contains("Mul (rescales the input by a constant")
        .contains("classes").contains("ArgMax (class ids)").contains("TopKV2 (top-k")
        .contains("predict_top").contains("serving_default").contains("25408 MACs, 25450 params")
        .contains("largest output difference 0.00 over 256 random inputs")
        .contains("can be pruned: yes");
  }

  @Test
  void inspectJsonListsBothSignaturesAndAnExactCheckOnData() throws Exception {
    Path m = tmp.resolve("two");
    ContractModels.writeTwoSignatures(m);
    CliRun r = CliRun.of("inspect", "--saved-model", m.toString(), "--json", "--data", "mnist",
        "--data-dir", mnist.toString());
    assertThat(r.exitCode()).as(r.err() + r.out()).isZero();
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertThat(j.get("prunable").asBoolean()).isTrue();
    assertThat(j.get("signatures")).hasSize(2);
    assertThat(j.get("check").get("maxAbsDiff").asDouble()).isEqualTo(0.0);
    assertThat(j.get("check").get("data").asText()).contains("mnist");
    assertThat(j.get("gateGroups").get(0).get("name").asText()).isEqualTo("input");
    assertThat(j.get("fixedRegions").get("networkInput").asText()).isEqualTo("rescaling/sub:0");
  }

  @Test
  void inspectListsMobileNetV2sInvertedResidualBlocksWithTheirExpansionGates() throws Exception {
    Path m = tmp.resolve("mobilenet");
    org.tfprune.testing.LayerKindModels.write(
        org.tfprune.testing.LayerKindModels.Kind.INVERTED_RESIDUAL, m);
    CliRun r = CliRun.of("inspect", "--saved-model", m.toString(), "--json");
    assertThat(r.exitCode()).as(r.err() + r.out()).isZero();
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertThat(j.get("prunable").asBoolean()).isTrue();
    JsonNode block = j.get("layers").get(3);
    assertThat(block.get("name").asText()).isEqualTo("block1");
    assertThat(block.get("type").asText()).isEqualTo("inverted residual block (identity "
        + "shortcut)");
    assertThat(block.get("innerWidth").asInt()).isEqualTo(24);
    assertThat(j.get("gateGroups").toString()).contains("block1_expand").contains("block3");
  }

  @Test
  void inspectListsAFixedRegionInsideTheNetworkWithItsOpsAndWhyEachWasKept() throws Exception {
    Path m = tmp.resolve("square");
    org.tfprune.testing.LayerKindModels.write(
        org.tfprune.testing.LayerKindModels.Kind.FIXED_SQUARE_CONV, m);
    CliRun r = CliRun.of("inspect", "--saved-model", m.toString());
    assertThat(r.exitCode()).as(r.err() + r.out()).isZero();
    assertThat(r.out()).contains("fixed [Mul, Square]")
        .contains("kept fixed inside the network, not pruned (layer scale: 0 MACs, 12 frozen "
            + "params; the layer before it keeps its full width)")
        .contains("scale/mul").contains("per-unit constant").contains("scale/Square")
        .contains("not a layer kind tf-prune maps").contains("can be pruned: yes");
    CliRun json = CliRun.of("inspect", "--saved-model", m.toString(), "--json");
    JsonNode j = new ObjectMapper().readTree(json.out());
    assertThat(j.get("prunable").asBoolean()).isTrue();
    JsonNode fixed = j.get("fixedLayers").get(0);
    assertThat(fixed.get("name").asText()).isEqualTo("scale");
    assertThat(fixed.get("ops").has("scale/Square")).isTrue();
    assertThat(fixed.get("params").asLong()).isEqualTo(12);
    assertThat(j.get("check").get("maxAbsDiff").asDouble()).isLessThanOrEqualTo(1e-6);
  }

  @Test
  void inspectListsARegionThatReachesBackOverAMappedConvToWhereItsBranchesMeet()
      throws Exception {
    Path m = tmp.resolve("join");
    org.tfprune.testing.LayerKindModels.write(
        org.tfprune.testing.LayerKindModels.Kind.FIXED_JOIN, m);
    CliRun r = CliRun.of("inspect", "--saved-model", m.toString());
    assertThat(r.exitCode()).as(r.err() + r.out()).isZero();
    assertThat(r.out()).contains("join/add").contains("dilated [1, 2, 2, 1]")
        .contains("join/plain/Conv2d").contains("part of the region")
        .contains("has a filter of shape [1, 3, 8, 8]").contains("can be pruned: yes");
    JsonNode j = new ObjectMapper().readTree(CliRun.of("inspect", "--saved-model",
        m.toString(), "--json").out());
    assertThat(j.get("fixedLayers")).hasSize(1);
    assertThat(j.get("check").get("maxAbsDiff").asDouble()).isLessThanOrEqualTo(1e-6);
  }

  @Test
  void inspectRefusesAModelItCannotMapWithTheReasonAndExitTwo() {
    Path m = tmp.resolve("tanh");
    ForeignModels.writeUnsupportedMlp(m);
    CliRun r = CliRun.of("inspect", "--saved-model", m.toString());
    assertThat(r.exitCode()).isEqualTo(TfPruneCli.EXIT_BAD_INPUT);
    assertThat(r.out()).contains("can be pruned: no").contains("Round hidden_2/Round")
        .contains("no gradient");
    CliRun missing = CliRun.of("inspect", "--saved-model", tmp.resolve("nope").toString());
    assertThat(missing.exitCode()).isEqualTo(TfPruneCli.EXIT_BAD_INPUT);
    assertThat(missing.out()).contains("does not exist");
  }

  @Test
  void aModelThatScalesRawPixelsItselfIsFedThePixelsAsStored() throws Exception {
    Path in = tmp.resolve("bytes");
    ContractModels.writeByteRescaled(in);
    CliRun auto = CliRun.of(quickPrune(in, tmp.resolve("auto")));
    assertThat(auto.exitCode()).as(auto.err()).isZero();
    assertThat(auto.out()).contains("the model scales raw pixels itself (Mul rescaling/mul");
    // The original served on the pixels as stored (0 to 255): the accuracy the report gives it
    // when the data is fed as the model expects.
    var test = Mnist.test(500);
    float[] raw = test.features(500);
    for (int i = 0; i < raw.length; i++) {
      raw[i] = Math.round(raw[i] * 255f);
    }
    double servedRaw = servedAccuracy(in, raw, test);
    RunReport report = RunReport.fromJson(Files.readAllBytes(
        tmp.resolve("auto").resolve("report.json")));
    assertThat(report.dense().testAccuracy()).isEqualTo(servedRaw);
    // An explicit scale is the user's choice: pixels scaled to [0, 1] and then by the model's
    // own 1/255 give the original another accuracy (which is why the default must not do it).
    String[] scaled = java.util.stream.Stream.concat(java.util.Arrays.stream(quickPrune(in,
        tmp.resolve("scaled"))), java.util.stream.Stream.of("--input-scale", "1/255"))
        .toArray(String[]::new);
    CliRun explicit = CliRun.of(scaled);
    assertThat(explicit.exitCode()).as(explicit.err()).isZero();
    assertThat(explicit.out()).doesNotContain("scales raw pixels itself");
    RunReport scaledReport = RunReport.fromJson(Files.readAllBytes(
        tmp.resolve("scaled").resolve("report.json")));
    assertThat(scaledReport.dense().testAccuracy())
        .isEqualTo(servedAccuracy(in, test.features(500), test))
        .isNotEqualTo(servedRaw);
  }

  /** Accuracy of {@code model}'s {@code serving_default} on 500 examples {@code x}. */
  private static double servedAccuracy(Path model, float[] x, ArrayData test) {
    int correct = 0;
    try (SavedModelBundle b = SavedModelBundle.load(model.toString(), "serve");
        TFloat32 xt = TFloat32.tensorOf(Shape.of(500, 784), DataBuffers.of(x, true, false));
        Result served = b.function("serving_default").call(Map.of("input_1", xt))) {
      TFloat32 p = (TFloat32) served.get("dense_2").orElseThrow();
      for (int i = 0; i < 500; i++) {
        int best = 0;
        for (int c = 1; c < 10; c++) {
          best = p.getFloat(i, c) > p.getFloat(i, best) ? c : best;
        }
        correct += best == test.label(i) ? 1 : 0;
      }
    }
    return correct / 500.0;
  }

  @Test
  void pruneKeepsBothSignaturesAndEveryOutputAndTheSuffixAgreesWithTheLogits() throws Exception {
    Path in = tmp.resolve("two");
    ContractModels.writeTwoSignatures(in);
    Path out = tmp.resolve("pruned");
    CliRun r = CliRun.of(quickPrune(in, out));
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("go through the kept prefix");
    MetaGraphDef before = meta(in);
    MetaGraphDef after = meta(out);
    assertThat(after.getSignatureDefMap().keySet()).isEqualTo(
        before.getSignatureDefMap().keySet());
    before.getSignatureDefMap().forEach((key, b) -> {
      SignatureDef a = after.getSignatureDefOrThrow(key);
      // an empty method name is exported as TF Serving's predict method
      assertThat(a.getMethodName()).isEqualTo(b.getMethodName().isEmpty()
          ? "tensorflow/serving/predict" : b.getMethodName());
      assertThat(a.getInputsMap().keySet()).isEqualTo(b.getInputsMap().keySet());
      assertThat(a.getOutputsMap().keySet()).isEqualTo(b.getOutputsMap().keySet());
      b.getInputsMap().forEach((k, v) -> {
        assertThat(a.getInputsOrThrow(k).getDtype()).isEqualTo(v.getDtype());
        assertThat(a.getInputsOrThrow(k).getTensorShape()).isEqualTo(v.getTensorShape());
      });
      b.getOutputsMap().forEach((k, v) -> {
        assertThat(a.getOutputsOrThrow(k).getDtype()).as(key + "/" + k).isEqualTo(v.getDtype());
        assertThat(a.getOutputsOrThrow(k).getName()).isEqualTo(v.getName());
      });
    });
    RunReport report = RunReport.fromJson(Files.readAllBytes(out.resolve("report.json")));
    assertThat(report.imported().maxAbsDiff()).isEqualTo(0.0);
    assertThat(report.compact().macs()).as(r.out()).isLessThan(report.dense().macs());
    // The network was evaluated on what it reads when served (the test images through the kept
    // rescaling): its accuracy is the original's own, served on the raw images.
    var test = Mnist.test(500);
    int correct = 0;
    try (SavedModelBundle b = SavedModelBundle.load(in.toString(), "serve");
        TFloat32 xt = TFloat32.tensorOf(Shape.of(500, 784), DataBuffers.of(test.features(500),
            true, false));
        Result served = b.function("serving_default").call(Map.of("input_1", xt))) {
      TInt64 classes = (TInt64) served.get("classes").orElseThrow();
      for (int i = 0; i < 500; i++) {
        correct += classes.getLong(i) == test.label(i) ? 1 : 0;
      }
    }
    assertThat(report.dense().testAccuracy()).isEqualTo(correct / 500.0);
    // evaluate reads the probabilities, not the integer classes listed first
    CliRun e = CliRun.of("evaluate", "--saved-model", out.toString(), "--data-dir",
        mnist.toString());
    assertThat(e.exitCode()).as(e.err() + e.out()).isIn(0, 1);
    assertThat(e.out()).contains("test accuracy").contains("output dense_2");
    int n = 100;
    float[] x = Mnist.test(n).features(n);
    try (SavedModelBundle b = SavedModelBundle.load(out.toString(), "serve");
        TFloat32 xt = TFloat32.tensorOf(Shape.of(n, 784), DataBuffers.of(x, true, false));
        Result served = b.function("serving_default").call(Map.of("input_1", xt));
        Result top = b.function("predict_top").call(Map.of("input_1", xt))) {
      TFloat32 probs = (TFloat32) served.get("dense_2").orElseThrow();
      TInt64 classes = (TInt64) served.get("classes").orElseThrow();
      TFloat32 scores = (TFloat32) top.get("scores").orElseThrow();
      TInt32 indices = (TInt32) top.get("indices").orElseThrow();
      TString names = (TString) top.get("names").orElseThrow();
      for (int i = 0; i < n; i++) {
        int best = (int) classes.getLong(i);
        // the kept ArgMax, TopK and lookup read the same probabilities as dense_2: exact
        assertThat(scores.getFloat(i, 0)).isEqualTo(probs.getFloat(i, best));
        assertThat(indices.getInt(i, 0)).isEqualTo(best);
        assertThat(names.getObject(i)).isEqualTo(ContractModels.NAMES[best]);
        for (int c = 0; c < 10; c++) {
          assertThat(probs.getFloat(i, c)).isLessThanOrEqualTo(probs.getFloat(i, best));
        }
      }
    }
  }

  @Test
  void pruneOfATfExampleModelFeedsTheDataAfterTheParserAndKeepsBothSignatures()
      throws Exception {
    Path in = tmp.resolve("example");
    ContractModels.writeTfExample(in);
    Path out = tmp.resolve("pruned");
    CliRun r = CliRun.of(quickPrune(in, out));
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("the input is a string: training and test data are fed at x:0");
    assertThat(meta(out).getSignatureDefMap().keySet()).containsExactlyInAnyOrder(
        "serving_default", "predict_images");
    int n = 50;
    float[] x = Mnist.test(n).features(n);
    try (SavedModelBundle b = SavedModelBundle.load(out.toString(), "serve");
        TString st = TString.tensorOfBytes(org.tensorflow.ndarray.NdArrays.vectorOfObjects(
            ContractModels.examples(x, n)));
        TFloat32 xt = TFloat32.tensorOf(Shape.of(n, 784), DataBuffers.of(x, true, false));
        Result served = b.function("serving_default").call(Map.of("examples", st));
        Result images = b.function("predict_images").call(Map.of("images", xt))) {
      TFloat32 scores = (TFloat32) served.get("scores").orElseThrow();
      TFloat32 direct = (TFloat32) images.get("scores").orElseThrow();
      // the parsed examples and the images fed after the parser give the same scores: exact
      for (int i = 0; i < n; i++) {
        for (int c = 0; c < 10; c++) {
          assertThat(scores.getFloat(i, c)).isEqualTo(direct.getFloat(i, c));
        }
      }
    }
  }

  @Test
  void pruneFeedsAKeepProbabilityAndRefusesAFeedNamingNoPlaceholder() throws Exception {
    Path in = tmp.resolve("dropout");
    ContractModels.writeWithDropout(in, false);
    Path bad = tmp.resolve("bad");
    CliRun refused = CliRun.of(concat(quickPrune(in, bad), "--feed", "keep=1"));
    assertThat(refused.exitCode()).isEqualTo(TfPruneCli.EXIT_BAD_INPUT);
    assertThat(refused.err()).contains("--feed names 'keep'").contains("[keep_prob]");
    assertThat(bad).doesNotExist();
    CliRun unfed = CliRun.of("inspect", "--saved-model", in.toString());
    assertThat(unfed.exitCode()).isEqualTo(TfPruneCli.EXIT_BAD_INPUT);
    assertThat(unfed.out()).contains("--feed keep_prob=1");
    Path out = tmp.resolve("pruned");
    CliRun r = CliRun.of(concat(quickPrune(in, out), "--feed", "keep_prob=1"));
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("keep_prob=1.0");
    RunReport report = RunReport.fromJson(Files.readAllBytes(out.resolve("report.json")));
    assertThat(report.imported().maxAbsDiff()).isEqualTo(0.0);
  }

  @Test
  void aKeyPassedThroughIsListedByInspectAndKeptByPruneWhileEvaluateFeedsTheImages()
      throws Exception {
    Path in = tmp.resolve("keyed");
    ContractModels.writeKeyPassthrough(in, false, false);
    CliRun i = CliRun.of("inspect", "--saved-model", in.toString());
    assertThat(i.exitCode()).as(i.err() + i.out()).isZero();
    assertThat(i.out()).contains("images=images:0").contains("key=key:0")
        .contains("probabilities=softmax:0").contains("key=output_key:0")
        .contains("can be pruned: yes");
    Path out = tmp.resolve("pruned");
    CliRun r = CliRun.of(quickPrune(in, out));
    assertThat(r.exitCode()).as(r.err()).isZero();
    SignatureDef b = meta(in).getSignatureDefOrThrow("serving_default");
    SignatureDef a = meta(out).getSignatureDefOrThrow("serving_default");
    assertThat(a.getInputsMap()).isEqualTo(b.getInputsMap());
    assertThat(a.getOutputsMap()).isEqualTo(b.getOutputsMap());
    RunReport report = RunReport.fromJson(Files.readAllBytes(out.resolve("report.json")));
    assertThat(report.imported().maxAbsDiff()).isEqualTo(0.0);
    CliRun e = CliRun.of("evaluate", "--saved-model", out.toString(), "--data-dir",
        mnist.toString());
    assertThat(e.exitCode()).as(e.err() + e.out()).isIn(0, 1);
    assertThat(e.out()).contains("test accuracy").contains("output probabilities");
    int n = 20;
    String[] keys = new String[n];
    for (int k = 0; k < n; k++) {
      keys[k] = "id-" + (n - k);
    }
    try (SavedModelBundle m = SavedModelBundle.load(out.toString(), "serve");
        TFloat32 xt = TFloat32.tensorOf(Shape.of(n, 28, 28, 1), DataBuffers.of(
            Mnist.test(n).features(n), true, false));
        TString kt = TString.tensorOf(Shape.of(n), DataBuffers.ofObjects(keys));
        Result served = m.function("serving_default").call(Map.of("images", xt, "key", kt))) {
      TString k = (TString) served.get("key").orElseThrow();
      for (int j = 0; j < n; j++) {
        assertThat(k.getObject(j)).isEqualTo(keys[j]);
      }
    }
  }

  private static String[] concat(String[] a, String... b) {
    List<String> l = new ArrayList<>(List.of(a));
    l.addAll(List.of(b));
    return l.toArray(String[]::new);
  }

  @Test
  void pruneFeedsDataInTheShapeOfARank3InputAndLogsIt() throws Exception {
    Path in = tmp.resolve("rank3");
    ContractModels.writeRank3(in);
    Path out = tmp.resolve("pruned");
    CliRun r = CliRun.of(quickPrune(in, out));
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("fed as the model's [28, 28]");
    SignatureDef sig = meta(out).getSignatureDefOrThrow("serving_default");
    assertThat(sig.getInputsOrThrow("flatten_input").getTensorShape().getDimCount()).isEqualTo(3);
    // evaluate feeds the [28, 28, 1] images in the model's [N, 28, 28] shape
    CliRun e = CliRun.of("evaluate", "--saved-model", out.toString(), "--data-dir",
        mnist.toString());
    assertThat(e.exitCode()).as(e.err() + e.out()).isIn(0, 1);
    assertThat(e.out()).contains("test accuracy").contains("output output_0");
  }

  @Test
  void pruneRefusesDataOfAnotherSizeNamingBothShapesAndWritesNothing() throws Exception {
    Path in = tmp.resolve("small");
    ContractModels.writeRank3(in, 10);
    Path out = tmp.resolve("pruned");
    CliRun r = CliRun.of(quickPrune(in, out));
    assertThat(r.exitCode()).isEqualTo(TfPruneCli.EXIT_BAD_INPUT);
    assertThat(r.err()).contains("[28, 28, 1]").contains("[10, 10]");
    assertThat(out).doesNotExist();
    List<String> left = new ArrayList<>();
    try (var s = Files.list(tmp)) {
      s.forEach(p -> left.add(p.getFileName().toString()));
    }
    assertThat(left).containsExactly("small");
  }
}
