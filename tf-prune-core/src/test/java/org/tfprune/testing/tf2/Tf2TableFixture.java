package org.tfprune.testing.tf2;

import static org.tfprune.testing.tf2.OpWriter.shapeAttr;
import static org.tfprune.testing.tf2.OpWriter.str;
import static org.tfprune.testing.tf2.OpWriter.type;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.tensorflow.proto.AssetFileDef;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.FunctionDefLibrary;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * The Keras 2 MLP of {@link Tf2Fixtures} with a class-name lookup in the TF2 form of {@code
 * tf.lookup.StaticHashTable(TextFileInitializer(asset, LINE_NUMBER, WHOLE_LINE))}: a top-level
 * {@code HashTableV2} captured by the signature wrapper, which returns a second output {@code
 * names} = {@code LookupTableFindV2(table, ArgMax(probabilities) - SHIFT, "UNK")}; the table
 * filled by an initializer function that {@code __saved_model_init_op} calls with the asset
 * path placeholder {@code asset_path_initializer}, listed in the meta graph's {@code
 * asset_file_def}. The initializer is not in the serving path, so the importer reads the table
 * TensorFlow filled.
 */
public final class Tf2TableFixture {
  /** Subtracted from the class index to give the key looked up. */
  public static final long SHIFT = 2;
  /** The asset file. */
  public static final String ASSET = "classes.txt";
  /** Its lines. */
  public static final List<String> LINES = List.of("zero", "one", "two", "three", "four");

  private Tf2TableFixture() {}

  /** Writes the fixture into {@code dir}. */
  public static void write(Path dir) {
    Tf2Fixtures.write(dir, Tf2Fixtures.Net.MLP, Tf2Fixtures.Form.KERAS2, 99);
    try {
      Path pb = dir.resolve("saved_model.pb");
      SavedModel.Builder sm = SavedModel.parseFrom(Files.readAllBytes(pb)).toBuilder();
      MetaGraphDef.Builder meta = sm.getMetaGraphsBuilder(0);
      GraphDef.Builder g = meta.getGraphDefBuilder();
      g.addNode(NodeDef.newBuilder().setName("hash_table").setOp("HashTableV2")
          .putAttr("key_dtype", type(DataType.DT_INT64))
          .putAttr("value_dtype", type(DataType.DT_STRING))
          .putAttr("shared_name", str("hash_table_classes.txt_-2_-1"))
          .putAttr("use_node_name_sharing", AttrValue.newBuilder().setB(false).build())
          .putAttr("container", str("")));
      g.addNode(NodeDef.newBuilder().setName("asset_path_initializer").setOp("Placeholder")
          .putAttr("dtype", type(DataType.DT_STRING)).putAttr("shape", shapeAttr()));
      String init = "__inference__initializer_7001";
      g.addNode(Tf2Writer.call("StatefulPartitionedCall_init", init,
          List.of("hash_table", "asset_path_initializer"),
          List.of(DataType.DT_RESOURCE, DataType.DT_STRING), List.of()));
      FunctionDefLibrary.Builder lib = g.getLibraryBuilder();
      lib.addFunction(initializer(init));
      for (int i = 0; i < g.getNodeCount(); i++) {
        NodeDef n = g.getNode(i);
        if (n.getName().equals("NoOp")) {
          g.setNode(i, n.toBuilder().addInput("^StatefulPartitionedCall_init"));
        } else if (n.getName().equals("StatefulPartitionedCall")) {
          String wrapper = n.getAttrOrThrow("f").getFunc().getName();
          for (int k = 0; k < lib.getFunctionCount(); k++) {
            if (lib.getFunction(k).getSignature().getName().equals(wrapper)) {
              lib.setFunction(k, withLookup(lib.getFunction(k)));
            }
          }
          AttrValue.ListValue.Builder tin = n.getAttrOrThrow("Tin").getList().toBuilder()
              .addType(DataType.DT_RESOURCE);
          AttrValue.ListValue.Builder tout = n.getAttrOrThrow("Tout").getList().toBuilder()
              .addType(DataType.DT_STRING);
          g.setNode(i, n.toBuilder().addInput("hash_table")
              .putAttr("Tin", AttrValue.newBuilder().setList(tin).build())
              .putAttr("Tout", AttrValue.newBuilder().setList(tout).build()));
        }
      }
      SignatureDef.Builder sig = meta.getSignatureDefOrThrow("serving_default").toBuilder();
      sig.putOutputs("names", TensorInfo.newBuilder().setName("StatefulPartitionedCall:1")
          .setDtype(DataType.DT_STRING).setTensorShape(OpWriter.shape(new long[] {-1}))
          .build());
      meta.putSignatureDef("serving_default", sig.build());
      meta.addAssetFileDef(AssetFileDef.newBuilder().setFilename(ASSET).setTensorInfo(
          TensorInfo.newBuilder().setName("asset_path_initializer:0")));
      Files.write(pb, sm.build().toByteArray());
      Files.createDirectories(dir.resolve("assets"));
      Files.writeString(dir.resolve("assets").resolve(ASSET), String.join("\n", LINES) + "\n",
          StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The initializer function: the table filled from the file its second argument names. */
  private static FunctionDef initializer(String name) {
    OpDef.Builder sig = OpDef.newBuilder().setName(name)
        .addInputArg(Tf2Writer.arg("resource_handle", DataType.DT_RESOURCE))
        .addInputArg(Tf2Writer.arg("text_file_init_asset_filepath", DataType.DT_STRING))
        .setIsStateful(true).addControlOutput("text_file_init");
    return FunctionDef.newBuilder().setSignature(sig)
        .addNodeDef(NodeDef.newBuilder().setName("text_file_init")
            .setOp("InitializeTableFromTextFileV2").addInput("resource_handle")
            .addInput("text_file_init_asset_filepath")
            .putAttr("key_index", AttrValue.newBuilder().setI(-1).build())
            .putAttr("value_index", AttrValue.newBuilder().setI(-2).build())
            .putAttr("vocab_size", AttrValue.newBuilder().setI(-1).build())
            .putAttr("offset", AttrValue.newBuilder().setI(0).build())
            .putAttr("delimiter", str("\t")))
        .putControlRet("text_file_init", "text_file_init").build();
  }

  /** The signature wrapper with the table as a last argument and the names as a 2nd output. */
  private static FunctionDef withLookup(FunctionDef f) {
    OpDef.Builder sig = f.getSignature().toBuilder()
        .addInputArg(Tf2Writer.arg("hash_table_resource", DataType.DT_RESOURCE))
        .addOutputArg(Tf2Writer.arg("identity_1", DataType.DT_STRING));
    return f.toBuilder().setSignature(sig)
        .addNodeDef(constant("ArgMax/dimension", TensorProto.newBuilder()
            .setDtype(DataType.DT_INT32).addIntVal(1)))
        .addNodeDef(NodeDef.newBuilder().setName("ArgMax").setOp("ArgMax")
            .addInput("Identity:output:0").addInput("ArgMax/dimension:output:0")
            .putAttr("T", type(DataType.DT_FLOAT)).putAttr("Tidx", type(DataType.DT_INT32))
            .putAttr("output_type", type(DataType.DT_INT64)))
        .addNodeDef(constant("sub/y", TensorProto.newBuilder().setDtype(DataType.DT_INT64)
            .addInt64Val(SHIFT)))
        .addNodeDef(NodeDef.newBuilder().setName("sub").setOp("Sub")
            .addInput("ArgMax:output:0").addInput("sub/y:output:0")
            .putAttr("T", type(DataType.DT_INT64)))
        .addNodeDef(constant("default", TensorProto.newBuilder().setDtype(DataType.DT_STRING)
            .addStringVal(com.google.protobuf.ByteString.copyFromUtf8("UNK"))))
        .addNodeDef(NodeDef.newBuilder().setName("None_Lookup/LookupTableFindV2")
            .setOp("LookupTableFindV2").addInput("hash_table_resource")
            .addInput("sub:z:0").addInput("default:output:0")
            .putAttr("Tin", type(DataType.DT_INT64)).putAttr("Tout", type(DataType.DT_STRING)))
        .addNodeDef(NodeDef.newBuilder().setName("Identity_1").setOp("Identity")
            .addInput("None_Lookup/LookupTableFindV2:values:0")
            .putAttr("T", type(DataType.DT_STRING)))
        .putRet("identity_1", "Identity_1:output:0").build();
  }

  private static NodeDef constant(String name, TensorProto.Builder value) {
    return NodeDef.newBuilder().setName(name).setOp("Const")
        .putAttr("dtype", type(value.getDtype()))
        .putAttr("value", AttrValue.newBuilder().setTensor(value.setTensorShape(
            TensorShapeProto.getDefaultInstance())).build()).build();
  }
}
