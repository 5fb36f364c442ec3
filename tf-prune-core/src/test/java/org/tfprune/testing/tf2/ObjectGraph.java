package org.tfprune.testing.tf2;

import java.util.List;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.SavedObjectGraphOuterClass.SavedObject;
import org.tensorflow.proto.SavedObjectGraphOuterClass.SavedObjectGraph;
import org.tensorflow.proto.SavedObjectGraphOuterClass.SavedUserObject;
import org.tensorflow.proto.SavedObjectGraphOuterClass.SavedVariable;
import org.tensorflow.proto.TrackableObjectGraphOuterClass.TrackableObjectGraph.TrackableObject
    .ObjectReference;

/** A small TF2 object graph: a root user object whose children are the model's variables. */
final class ObjectGraph {
  private ObjectGraph() {}

  static SavedObjectGraph of(List<String> variables, List<long[]> shapes) {
    SavedObject.Builder root = SavedObject.newBuilder().setUserObject(SavedUserObject
        .newBuilder().setIdentifier("_generic_user_object"));
    SavedObjectGraph.Builder g = SavedObjectGraph.newBuilder();
    for (int i = 0; i < variables.size(); i++) {
      root.addChildren(ObjectReference.newBuilder().setNodeId(i + 1).setLocalName(
          "variables/" + i));
    }
    g.addNodes(root);
    for (int i = 0; i < variables.size(); i++) {
      g.addNodes(SavedObject.newBuilder().setVariable(SavedVariable.newBuilder()
          .setDtype(DataType.DT_FLOAT).setShape(OpWriter.shape(shapes.get(i)))
          .setTrainable(true).setName(variables.get(i))));
    }
    return g.build();
  }
}
