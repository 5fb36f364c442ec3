package org.tfprune.imports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;

/** Folding v1 control flow on a constant predicate, on graphs written node by node. */
class ControlFlowFoldingTest {
  private static NodeDef node(String name, String op, String... inputs) {
    return NodeDef.newBuilder().setName(name).setOp(op).addAllInput(List.of(inputs))
        .putAttr("T", AttrValue.newBuilder().setType(DataType.DT_FLOAT).build()).build();
  }

  private static NodeDef flag(String name, boolean value) {
    return NodeDef.newBuilder().setName(name).setOp("Const")
        .putAttr("dtype", AttrValue.newBuilder().setType(DataType.DT_BOOL).build())
        .putAttr("value", AttrValue.newBuilder().setTensor(TensorProto.newBuilder()
            .setDtype(DataType.DT_BOOL).addBoolVal(value)).build()).build();
  }

  /** x -> cond(pred, Neg, Identity) -> out; out_index reads the Merge's value_index. */
  private static GraphDef cond(NodeDef pred) {
    return GraphDef.newBuilder().addNode(node("x", "Placeholder")).addNode(pred)
        .addNode(node("cond/pred_id", "Identity", "pred"))
        .addNode(node("cond/Switch", "Switch", "pred", "pred"))
        .addNode(node("cond/switch_t", "Identity", "cond/Switch:1"))
        .addNode(node("cond/switch_f", "Identity", "cond/Switch"))
        .addNode(node("cond/Switch_1", "Switch", "x", "cond/pred_id"))
        .addNode(node("cond/Neg", "Neg", "cond/Switch_1:1"))
        .addNode(node("cond/two", "Const", "^cond/switch_t"))
        .addNode(node("cond/Mul", "Mul", "cond/Neg", "cond/two"))
        .addNode(node("cond/Identity", "Identity", "cond/Switch_1:0"))
        .addNode(node("cond/Merge", "Merge", "cond/Identity", "cond/Mul"))
        .addNode(node("out", "Identity", "cond/Merge"))
        .addNode(node("out_index", "Identity", "cond/Merge:1")).build();
  }

  private static Map<String, NodeDef> byName(GraphDef g) {
    return g.getNodeList().stream().collect(Collectors.toMap(NodeDef::getName,
        Function.identity()));
  }

  @Test
  void aFalsePredicateKeepsTheFalseBranchAndDropsTheTrueOne() {
    ControlFlowFolding.Folded f = ControlFlowFolding.fold(cond(flag("pred", false)),
        List.of("out:0", "out_index:0"), "model");
    Map<String, NodeDef> n = byName(f.graph());
    assertThat(n).doesNotContainKeys("cond/Neg", "cond/two", "cond/Mul", "cond/switch_t");
    assertThat(n.get("cond/Switch_1").getOp()).isEqualTo("Identity");
    assertThat(n.get("cond/Switch_1").getInputList()).containsExactly("x");
    assertThat(n.get("cond/Identity").getInputList()).containsExactly("cond/Switch_1");
    assertThat(n.get("cond/Merge").getOp()).isEqualTo("Identity");
    assertThat(n.get("cond/Merge").getInputList()).containsExactly("cond/Identity");
    assertThat(n.get("out_index").getInputList()).containsExactly("cond/Merge/value_index");
    assertThat(n.get("cond/Merge/value_index").getAttrOrThrow("value").getTensor()
        .getIntVal(0)).isZero();
    assertThat(f.notes()).anyMatch(s -> s.contains("predicate pred = false")
        && s.contains("2 Switch and 1 Merge"));
  }

  @Test
  void aTruePredicateKeepsTheTrueBranch() {
    ControlFlowFolding.Folded f = ControlFlowFolding.fold(cond(flag("pred", true)),
        List.of("out:0", "out_index:0"), "model");
    Map<String, NodeDef> n = byName(f.graph());
    assertThat(n).doesNotContainKeys("cond/Identity", "cond/switch_f");
    assertThat(n.get("cond/Neg").getInputList()).containsExactly("cond/Switch_1");
    assertThat(n.get("cond/two").getInputList()).containsExactly("^cond/switch_t");
    assertThat(n.get("cond/Merge").getInputList()).containsExactly("cond/Mul");
    assertThat(n.get("cond/Merge/value_index").getAttrOrThrow("value").getTensor()
        .getIntVal(0)).isEqualTo(1);
  }

  @Test
  void aPredicateFromThePlaceholderOrTheDataIsRefusedNamingTheSwitch() {
    assertThatThrownBy(() -> ControlFlowFolding.fold(cond(node("pred", "Placeholder")),
        List.of("out:0"), "model")).isInstanceOf(ImportException.class)
        .hasMessageStartingWith("Switch 'cond/Switch_1' on the serving path of model is "
            + "controlled by placeholder 'pred'")
        .hasMessageContaining("--feed pred=false");
    assertThatThrownBy(() -> ControlFlowFolding.fold(cond(node("pred", "Greater", "x", "x")),
        List.of("out:0"), "model")).isInstanceOf(ImportException.class)
        .hasMessageContaining("computed from the data");
  }

  @Test
  void aGraphWithoutControlFlowIsReturnedAsItIs() {
    GraphDef g = GraphDef.newBuilder().addNode(node("x", "Placeholder"))
        .addNode(node("out", "Relu", "x")).build();
    ControlFlowFolding.Folded f = ControlFlowFolding.fold(g, List.of("out:0"), "model");
    assertThat(f.graph()).isSameAs(g);
    assertThat(f.notes()).isEmpty();
  }
}
