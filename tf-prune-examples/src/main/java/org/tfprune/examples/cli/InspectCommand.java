package org.tfprune.examples.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.tfprune.complexity.Complexity;
import org.tfprune.complexity.ComplexityCounter;
import org.tfprune.examples.data.Datasets;
import org.tfprune.examples.data.LabeledImages;
import org.tfprune.export.ServingContract;
import org.tfprune.export.ServingSignature;
import org.tfprune.imports.ImportException;
import org.tfprune.imports.ImportOptions;
import org.tfprune.imports.ImportedModel;
import org.tfprune.imports.ModelImporter;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.Conv2DLayer;
import org.tfprune.spec.DenseLayer;
import org.tfprune.spec.FixedLayer;
import org.tfprune.spec.GateGroup;
import org.tfprune.spec.LayerSpec;
import org.tfprune.spec.ResidualBlock;
import org.tfprune.spec.StreamGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tf-prune inspect}: what {@code prune} would do with a SavedModel, without training: the
 * mapped layers with their widths, the gate groups and what each gates, coupled stream channels,
 * residual blocks, the regions kept unchanged around and inside the network (and why), MACs and parameters, every signature with
 * its keys, and the import check (largest output difference with every gate open, on random
 * inputs or on {@code --data}). Exit 0 when the model can be pruned, 2 with the reason otherwise.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
    description = "Show how tf-prune maps a SavedModel (layers, gate groups, kept regions, "
        + "signatures, MACs) and check the import; exit 0 when it can be pruned.")
final class InspectCommand implements Callable<Integer> {
  /** Examples of the import check. */
  static final int CHECK_EXAMPLES = 256;

  @Option(names = "--saved-model", required = true, paramLabel = "IN",
      description = "SavedModel directory (or frozen GraphDef .pb file) to inspect.")
  Path savedModel;

  @Option(names = "--tag", defaultValue = "serve",
      description = "Tags of the meta graph, comma-separated. Default: ${DEFAULT-VALUE}.")
  String tag;

  @Option(names = "--signature", description = "Signature whose network is pruned (default: "
      + "serving_default, or the model's only signature).")
  String signature;

  @Option(names = "--couple-stream-channels",
      description = "Gate a residual network's stream channels per stage, as prune would.")
  boolean coupleStreamChannels;

  @Option(names = "--data", paramLabel = "NAME|DIR", description = "Check the import on the "
      + "first test examples of this data set (default: random inputs in [0, 1)).")
  String data;

  @Option(names = "--data-dir", description = "Directory holding the data set's files.")
  Path dataDir;

  @Option(names = "--feed", paramLabel = "NAME=VALUE", description = "Value of a training-only "
      + "placeholder (repeatable), e.g. --feed keep_prob=1, as prune takes it.")
  List<String> feeds;

  @Option(names = "--json", description = "Print the result as JSON.")
  boolean json;

  @Spec
  CommandSpec commandSpec;

  @Override
  public Integer call() {
    PrintWriter out = commandSpec.commandLine().getOut();
    ImportOptions options = new ImportOptions(tag, signature, 1f, coupleStreamChannels)
        .withFeeds(FeedOptions.parse(feeds));
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("model", savedModel.toString());
    ImportedModel mapped;
    try {
      mapped = ModelImporter.load(savedModel, options);
    } catch (ImportException e) {
      return refused(out, result, e.getMessage());
    }
    describe(mapped, result);
    String checkData;
    float[] sample;
    int count;
    if (data != null) {
      LabeledImages test = (dataDir != null ? Datasets.load(data, dataDir)
          : Datasets.load(data)).test();
      count = Math.min(CHECK_EXAMPLES, test.count());
      sample = test.features(java.util.stream.IntStream.range(0, count).toArray());
      checkData = count + " test examples of " + data;
    } else {
      count = CHECK_EXAMPLES;
      sample = new float[count * mapped.spec().input().size()];
      SplittableRandom r = new SplittableRandom(1);
      for (int i = 0; i < sample.length; i++) {
        sample[i] = (float) r.nextDouble();
      }
      checkData = count + " random inputs in [0, 1)";
    }
    Map<String, Object> check = new LinkedHashMap<>();
    check.put("data", checkData);
    check.put("tolerance", ModelImporter.TOLERANCE);
    result.put("check", check);
    try {
      ImportedModel m = ModelImporter.load(savedModel, options, sample, count);
      check.put("maxAbsDiff", m.check().maxAbsDiff());
      check.put("byOutput", m.check().maxAbsDiffByOutput());
    } catch (ImportException e) {
      return refused(out, result, e.getMessage());
    }
    result.put("prunable", true);
    print(out, result);
    return 0;
  }

  private int refused(PrintWriter out, Map<String, Object> result, String reason) {
    result.put("prunable", false);
    result.put("reason", reason);
    print(out, result);
    return TfPruneCli.EXIT_BAD_INPUT;
  }

  /** The mapped structure, as ordered maps (for the text and the JSON output alike). */
  private static void describe(ImportedModel m, Map<String, Object> r) {
    ArchitectureSpec spec = m.spec();
    r.put("network", spec.name());
    r.put("widths", spec.widthString());
    r.put("input", ordered("shape", spec.input().shape(), "gated", spec.input().gated()));
    List<Map<String, Object>> layers = new ArrayList<>();
    Map<String, Complexity> costs = ComplexityCounter.perLayer(spec);
    for (LayerSpec l : spec.layers()) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("name", l.name());
      e.put("type", l instanceof DenseLayer ? "dense" : l instanceof Conv2DLayer c
          ? "conv " + c.kernelSize() + "x" + c.kernelSize() + "/" + c.stride()
              + (c.batchNorm() ? " +BN" : "")
          : l instanceof FixedLayer f ? "fixed " + f.opTypes()
          : l instanceof ResidualBlock b ? (b.form().equals("basic") ? "" : b.form() + " ")
              + "residual block (" + (b.shortcut() != null ? "projection"
              : b.shortcutStride() > 1 ? "subsampled identity" : "identity") + " shortcut)"
          : l.getClass().getSimpleName().replace("Layer", "").toLowerCase());
      e.put("width", l.width());
      if (l instanceof ResidualBlock b) {
        e.put("innerWidth", b.innerWidth());
        if (b.middle() != null) {
          e.put("middleWidth", b.middle().filters());
        }
      }
      e.put("gated", l.gated());
      Complexity c = costs.get(l.name());
      if (c != null) {
        e.put("macs", c.macs());
        e.put("params", c.params());
      }
      layers.add(e);
    }
    r.put("layers", layers);
    List<Map<String, Object>> fixedLayers = new ArrayList<>();
    for (LayerSpec l : spec.layers()) {
      if (l instanceof FixedLayer f) {
        fixedLayers.add(ordered("name", f.name(), "ops", f.kept(), "macs", costs.get(f.name())
            .macs(), "params", costs.get(f.name()).params()));
      }
    }
    r.put("fixedLayers", fixedLayers);
    List<Map<String, Object>> groups = new ArrayList<>();
    for (GateGroup g : spec.gateGroups()) {
      groups.add(ordered("name", g.name(), "size", g.size(), "kind",
          g.kind().toString().toLowerCase()));
    }
    r.put("gateGroups", groups);
    List<Map<String, Object>> streams = new ArrayList<>();
    for (StreamGroup s : spec.streams()) {
      streams.add(ordered("name", s.name(), "members", s.members(), "gated", s.gated()));
    }
    r.put("coupledChannels", streams);
    Complexity total = ComplexityCounter.count(spec);
    r.put("macs", total.macs());
    r.put("params", total.params());
    ServingSignature sig = m.signature();
    ServingContract c = sig.contract();
    List<Map<String, Object>> sigs = new ArrayList<>();
    if (c == null) {
      Map<String, String> outs = new LinkedHashMap<>();
      sig.outputs().forEach(o -> outs.put(o.key(), o.tensor() + " (" + o.kind().toString()
          .toLowerCase() + ")"));
      sigs.add(signature(sig.key(), sig.methodName(), Map.of(sig.inputKey(), sig.inputTensor()),
          outs));
    } else {
      for (ServingContract.Signature s : c.signatures()) {
        sigs.add(signature(s.key(), s.methodName(), s.inputs(), s.outputs()));
      }
      Map<String, Object> fixed = new LinkedHashMap<>();
      fixed.put("networkInput", c.networkInput());
      fixed.put("logits", c.logitsNode());
      fixed.put("kept", c.kept());
      r.put("fixedRegions", fixed);
    }
    r.put("prunedSignature", sig.key());
    r.put("signatures", sigs);
    r.put("notes", m.notes());
  }

  /** A map of {@code key, value, ...} pairs in that order. */
  private static Map<String, Object> ordered(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  private static Map<String, Object> signature(String key, String method,
      Map<String, String> inputs, Map<String, String> outputs) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("key", key);
    s.put("method", method);
    s.put("inputs", inputs);
    s.put("outputs", outputs);
    return s;
  }

  private void print(PrintWriter out, Map<String, Object> r) {
    if (json) {
      try {
        out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .writeValueAsString(r));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
      out.flush();
      return;
    }
    out.printf("model %s%n", r.get("model"));
    if (r.containsKey("network")) {
      printStructure(out, r);
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> check = (Map<String, Object>) r.get("check");
    if (check != null && check.containsKey("maxAbsDiff")) {
      out.printf("import check: with every gate open, largest output difference %.3g over %s "
          + "(tolerance %.0e)%n", (Double) check.get("maxAbsDiff"), check.get("data"),
          (Double) check.get("tolerance"));
      out.printf("  per output: %s%n", check.get("byOutput"));
    }
    if (Boolean.TRUE.equals(r.get("prunable"))) {
      out.println("can be pruned: yes");
    } else {
      out.printf("can be pruned: no: %s%n", r.get("reason"));
    }
    out.flush();
  }

  @SuppressWarnings("unchecked")
  private static void printStructure(PrintWriter out, Map<String, Object> r) {
    out.printf("network %s, widths %s, input %s%n", r.get("network"), r.get("widths"),
        r.get("input"));
    List<Map<String, Object>> layers = (List<Map<String, Object>>) r.get("layers");
    int nameWidth = Math.max(22, layers.stream().mapToInt(l -> String.valueOf(l.get("name"))
        .length()).max().orElse(0));
    String row = "%-" + nameWidth + "s %-24s %7s %6s %12s %10s%n";
    out.printf(row, "layer", "type", "width", "gated", "MACs", "params");
    for (Map<String, Object> l : layers) {
      Object width = l.get("width");
      // a layer without units of its own (pooling, flatten) has no width to show
      String shown = width instanceof Number n && n.intValue() < 0 ? "-" : String.valueOf(width);
      out.printf(row, l.get("name"), l.get("type"),
          shown + (l.containsKey("innerWidth") ? "/" + l.get("innerWidth") : "")
              + (l.containsKey("middleWidth") ? "/" + l.get("middleWidth") : ""),
          Boolean.TRUE.equals(l.get("gated")) ? "yes" : "no", l.getOrDefault("macs", ""),
          l.getOrDefault("params", ""));
    }
    out.printf("total: %s MACs, %s params per example%n", r.get("macs"), r.get("params"));
    out.println("gate groups (pruned together):");
    for (Map<String, Object> g : (List<Map<String, Object>>) r.get("gateGroups")) {
      out.printf("  %-20s %5s gates (%s)%n", g.get("name"), g.get("size"), g.get("kind"));
    }
    List<Map<String, Object>> streams = (List<Map<String, Object>>) r.get("coupledChannels");
    if (!streams.isEmpty()) {
      out.println("coupled channels (one gate per channel across the stage):");
      streams.forEach(s -> out.printf("  %-20s %s%s%n", s.get("name"), s.get("members"),
          Boolean.TRUE.equals(s.get("gated")) ? "" : " (not gated)"));
    }
    for (Map<String, Object> f : (List<Map<String, Object>>) r.get("fixedLayers")) {
      out.printf("kept fixed inside the network, not pruned (layer %s: %s MACs, %s frozen "
          + "params; the layer before it keeps its full width):%n", f.get("name"), f.get("macs"),
          f.get("params"));
      ((Map<String, String>) f.get("ops")).forEach((n, why) -> out.printf("  %-28s %s%n", n,
          why));
    }
    Map<String, Object> fixed = (Map<String, Object>) r.get("fixedRegions");
    if (fixed != null) {
      out.printf("kept unchanged (fixed regions; the network reads %s, its logits are %s):%n",
          fixed.get("networkInput"), fixed.get("logits"));
      ((Map<String, String>) fixed.get("kept")).forEach((n, why) -> out.printf("  %-28s %s%n",
          n, why));
    }
    out.printf("signatures (the network of '%s' is pruned; every signature is exported):%n",
        r.get("prunedSignature"));
    for (Map<String, Object> s : (List<Map<String, Object>>) r.get("signatures")) {
      out.printf("  %s (%s)%n    inputs  %s%n    outputs %s%n", s.get("key"), s.get("method"),
          s.get("inputs"), s.get("outputs"));
    }
    ((List<String>) r.get("notes")).forEach(n -> out.printf("note: %s%n", n));
  }
}
