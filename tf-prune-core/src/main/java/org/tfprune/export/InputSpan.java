package org.tfprune.export;

import java.util.LinkedHashMap;
import java.util.Map;
import org.tfprune.loss.StructureWeights;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.InputSpec;
import org.tfprune.spec.KeepMask;

/**
 * Replaces a serving graph's input gather by a slice: the kept input features are widened to the
 * contiguous span from the first kept feature to the last, and each feature added back has its
 * row of the first kernel zeroed, so the compact model computes the same function and the serving
 * graph reads {@code x[:, first:last+1]} (one {@code Slice}) instead of gathering feature by
 * feature. TensorFlow's CPU gather of a feature subset needs a transpose of the whole input or
 * copies one float at a time: on LeNet-300-100 (242 of 784 pixels kept, span 579) a gather took
 * more time than the first layer's product, and the product over the span plus the slice was
 * faster at every batch size from 32 up. The first layer's MACs count the span, which is what is
 * computed. Only spans up to {@value #MAX_SPAN_RATIO} times the kept features are used; wider ones
 * keep the gather.
 */
public final class InputSpan {
  /** The widest span used, as a multiple of the kept features (the full input was 3.2x). */
  public static final int MAX_SPAN_RATIO = 4;

  private InputSpan() {}

  /** Parameters and keep-mask with the input span kept; unchanged when the rule does not apply. */
  public static WidthRounding.Rounded widen(ArchitectureSpec spec, ParameterSet params,
      KeepMask keep) {
    if (!spec.input().gated() || !keep.groups().contains(InputSpec.GATE_GROUP)) {
      return new WidthRounding.Rounded(params, keep);
    }
    boolean[] k = keep.flags(InputSpec.GATE_GROUP);
    int first = -1;
    int last = -1;
    int kept = 0;
    for (int i = 0; i < k.length; i++) {
      if (k[i]) {
        first = first < 0 ? i : first;
        last = i;
        kept++;
      }
    }
    int span = last - first + 1;
    if (kept == 0 || span == kept || span > MAX_SPAN_RATIO * kept) {
      return new WidthRounding.Rounded(params, keep);
    }
    Map<String, HostTensor> values = new LinkedHashMap<>(params.asMap());
    Map<String, boolean[]> flags = new LinkedHashMap<>();
    for (String g : keep.groups()) {
      flags.put(g, keep.flags(g));
    }
    boolean[] widened = flags.get(InputSpec.GATE_GROUP);
    for (int i = first; i <= last; i++) {
      if (!widened[i]) {
        widened[i] = true;
        for (StructureWeights.Owned o : StructureWeights.ownership(spec)) {
          if (o.group().equals(InputSpec.GATE_GROUP)) {
            values.put(o.variable(), values.get(o.variable()).withZeroAt(o.axis(), i));
          }
        }
      }
    }
    return new WidthRounding.Rounded(new ParameterSet(values), KeepMask.of(flags));
  }
}
