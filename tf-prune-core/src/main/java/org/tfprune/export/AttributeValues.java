package org.tfprune.export;

import static org.tfprune.export.SavedModelValidator.MAX_TENSOR_BYTES;
import static org.tfprune.export.SavedModelValidator.byteSize;
import static org.tfprune.export.SavedModelValidator.multiply;

import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.OpDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/** What is wrong with a node's attribute value (kind, type, shape, constant), if anything. */
final class AttributeValues {
  private AttributeValues() {}

  /** What is wrong with {@code v} as a value of {@code a}, or null. */
  static String attributeProblem(AttrValue v, OpDef.AttrDef a) {
    String type = a.getType();
    boolean list = type.startsWith("list(");
    String element = list ? type.substring(5, type.length() - 1) : type;
    if (list) {
      if (v.getValueCase() != AttrValue.ValueCase.LIST
          && v.getValueCase() != AttrValue.ValueCase.VALUE_NOT_SET) {
        return "should be a list of " + element + " but is a " + v.getValueCase();
      }
      AttrValue.ListValue l = v.getList();
      for (DataType t : l.getTypeList()) {
        String p = typeProblem(t, a);
        if (p != null) {
          return p;
        }
      }
      for (TensorShapeProto s : l.getShapeList()) {
        String p = shapeProblem(s);
        if (p != null) {
          return p;
        }
      }
      for (TensorProto t : l.getTensorList()) {
        String p = tensorProblem(t);
        if (p != null) {
          return p;
        }
      }
      return null;
    }
    AttrValue.ValueCase expected = switch (element) {
      case "type" -> AttrValue.ValueCase.TYPE;
      case "int" -> AttrValue.ValueCase.I;
      case "float" -> AttrValue.ValueCase.F;
      case "bool" -> AttrValue.ValueCase.B;
      case "string" -> AttrValue.ValueCase.S;
      case "shape" -> AttrValue.ValueCase.SHAPE;
      case "tensor" -> AttrValue.ValueCase.TENSOR;
      case "func" -> AttrValue.ValueCase.FUNC;
      default -> null;
    };
    if (expected != null && v.getValueCase() != expected) {
      return "should be a " + element + " but is a " + v.getValueCase();
    }
    if (a.getHasMinimum() && element.equals("int") && v.getI() < a.getMinimum()) {
      return "is " + v.getI() + ", below its minimum " + a.getMinimum();
    }
    return switch (v.getValueCase()) {
      case TYPE -> typeProblem(v.getType(), a);
      case SHAPE -> shapeProblem(v.getShape());
      case TENSOR -> tensorProblem(v.getTensor());
      default -> null;
    };
  }

  private static String typeProblem(DataType t, OpDef.AttrDef a) {
    if (t == DataType.UNRECOGNIZED || t == DataType.DT_INVALID) {
      return "holds an invalid data type";
    }
    if (a.hasAllowedValues() && a.getAllowedValues().hasList()
        && a.getAllowedValues().getList().getTypeCount() > 0
        && !a.getAllowedValues().getList().getTypeList().contains(t)) {
      return "holds the type " + t + ", which its op does not accept";
    }
    return null;
  }

  private static String shapeProblem(TensorShapeProto s) {
    if (s.getUnknownRank() && s.getDimCount() > 0) {
      return "holds a shape of unknown rank with dimensions";
    }
    for (TensorShapeProto.Dim d : s.getDimList()) {
      if (d.getSize() < -1) {
        return "holds a shape with the dimension " + d.getSize();
      }
    }
    return null;
  }

  /** What is wrong with a constant's tensor, or null. */
  private static String tensorProblem(TensorProto t) {
    if (t.getDtype() == DataType.UNRECOGNIZED || t.getDtype() == DataType.DT_INVALID) {
      return "holds a tensor of an invalid data type";
    }
    long n = 1;
    for (TensorShapeProto.Dim d : t.getTensorShape().getDimList()) {
      if (d.getSize() < 0) {
        return "holds a tensor with the dimension " + d.getSize();
      }
      n = multiply(n, d.getSize());
    }
    if (t.getTensorShape().getUnknownRank()) {
      return "holds a tensor of unknown rank";
    }
    int size = byteSize(t.getDtype());
    if (size > 0 && multiply(n, size) > MAX_TENSOR_BYTES) {
      return "holds a tensor of " + n + " elements, more than a model's constant can be";
    }
    if (!t.getTensorContent().isEmpty()) {
      if (t.getDtype() == DataType.DT_STRING) {
        return null; // length-prefixed strings: TensorFlow checks the encoding as it decodes
      }
      if (size <= 0 || t.getTensorContent().size() != n * size) {
        return "holds " + t.getTensorContent().size() + " bytes for a tensor of " + n
            + " elements of " + t.getDtype();
      }
      return null;
    }
    int values = t.getFloatValCount() + t.getDoubleValCount() + t.getIntValCount()
        + t.getInt64ValCount() + t.getBoolValCount() + t.getStringValCount()
        + t.getHalfValCount() + t.getUint32ValCount() + t.getUint64ValCount()
        + t.getScomplexValCount() / 2 + t.getDcomplexValCount() / 2;
    if (values > n) {
      return "holds " + values + " values for a tensor of " + n + " elements";
    }
    if (size < 0 && values < n && t.getDtype() != DataType.DT_STRING) {
      return "holds a tensor of " + t.getDtype() + ", which a model's constant cannot be";
    }
    return null;
  }
}
