package org.tfprune.loss;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Stack;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.types.TFloat32;
import org.tfprune.build.NetworkGraph;
import org.tfprune.loss.StructureWeights.Owned;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;

/**
 * The squared norms {@code |w_s|^2} of every gated structure and the prior's analytic weight
 * gradient, in the graph and on the host, over the ownership table of {@link StructureWeights}.
 */
public final class StructureNorms {
  private StructureNorms() {}

  /**
   * {@code |w_s|^2} for every structure, plus per group the constant {@code carried} squared norm
   * of owned weights a rebuild removed (they still count in the masked network the objective
   * refers to).
   */
  public static Map<String, Operand<TFloat32>> squaredNorms(Ops s, NetworkGraph net,
      Map<String, ? extends Operand<TFloat32>> carried) {
    Map<String, Operand<TFloat32>> norms = new LinkedHashMap<>();
    squaredNorms(s, net).forEach((g, live) -> norms.put(g, carried.containsKey(g)
        ? s.math.add(live, s.stopGradient(carried.get(g))) : live));
    return norms;
  }

  /**
   * {@code |w_s|^2} for every structure of every gate group, {@code [size]} each, over the
   * weights {@code net} holds. These norms carry no gradient (the prior's weight gradient is
   * {@link #quadraticGradients analytic}), so they are computed with one fused reduction per axis.
   */
  public static Map<String, Operand<TFloat32>> squaredNorms(Ops s, NetworkGraph net) {
    Map<String, Operand<TFloat32>> norms = new LinkedHashMap<>();
    for (Owned o : StructureWeights.ownership(net.spec())) {
      Operand<TFloat32> v = s.identity(net.variable(o.variable()));
      Operand<TFloat32> part;
      if (o.axis() < 0) {
        part = s.reshape(s.reduceSum(s.math.square(v), s.constant(allAxes(o.rank()))),
            s.constant(new int[] {1}));
      } else if (o.rank() == 1) {
        part = s.math.square(v);
      } else {
        part = s.math.square(s.linalg.euclideanNorm(v, s.constant(otherAxes(o))));
      }
      norms.merge(o.group(), s.stopGradient(part), s.math::add);
    }
    return norms;
  }

  /**
   * {@code |w_s|^2} for every structure of every gate group of {@code spec}, computed on the host
   * from {@code params}: the host counterpart of {@link #squaredNorms(Ops, NetworkGraph)}.
   */
  public static Map<String, float[]> squaredNorms(ArchitectureSpec spec, ParameterSet params) {
    Map<String, float[]> norms = new LinkedHashMap<>();
    spec.gateGroups().forEach(g -> norms.put(g.name(), new float[g.size()]));
    for (Owned o : StructureWeights.ownership(spec)) {
      HostTensor v = params.get(o.variable());
      float[] out = norms.get(o.group());
      float[] x = v.values();
      if (o.axis() < 0) {
        double sum = 0;
        for (float f : x) {
          sum += (double) f * f;
        }
        out[0] += (float) sum;
        continue;
      }
      int dim = v.dim(o.axis());
      int inner = 1;
      for (int d = o.axis() + 1; d < v.rank(); d++) {
        inner *= v.dim(d);
      }
      for (int k = 0; k < x.length; k++) {
        out[(k / inner) % dim] += x[k] * x[k];
      }
    }
    return norms;
  }

  private static int[] allAxes(int rank) {
    int[] a = new int[rank];
    for (int i = 0; i < rank; i++) {
      a[i] = i;
    }
    return a;
  }

  private static int[] otherAxes(Owned o) {
    int[] a = new int[o.rank() - 1];
    int j = 0;
    for (int i = 0; i < o.rank(); i++) {
      if (i != o.axis()) {
        a[j++] = i;
      }
    }
    return a;
  }

  /** {@code |w_s|^2} for every structure of one gate group. */
  public static Operand<TFloat32> squaredNorms(Ops s, NetworkGraph net, String group) {
    Operand<TFloat32> n = squaredNorms(s, net).get(group);
    if (n == null) {
      throw new IllegalArgumentException("no gate group '" + group + "' in " + net.spec().name());
    }
    return n;
  }

  /**
   * The gradient of {@code sum_s c_s |w_s|^2} with respect to each owned variable, given a
   * per-structure coefficient {@code c_s} for each group: {@code 2 w * C}, where {@code C}
   * broadcasts the coefficients of every group owning part of the variable. Adding it to the
   * autodiff gradient analytically avoids TensorFlow's broadcast-heavy generic backward pass
   * through squares and reductions.
   */
  public static Map<String, Operand<TFloat32>> quadraticGradients(Ops s, NetworkGraph net,
      Map<String, Operand<TFloat32>> coefficients) {
    return quadraticGradients(s, net, coefficients, TensorCache.NONE);
  }

  /**
   * As {@link #quadraticGradients(Ops, NetworkGraph, Map)}, with each variable's gradient
   * {@code 2 w * C} taken from {@code cache} (named {@code prior_gradient/<variable>}): a trainer
   * refreshing the cache every few steps applies a slightly stale weight decay, and saves a pass
   * over every weight tensor at the other steps.
   */
  public static Map<String, Operand<TFloat32>> quadraticGradients(Ops s, NetworkGraph net,
      Map<String, Operand<TFloat32>> coefficients, TensorCache cache) {
    Map<String, List<Owned>> perVariable = new LinkedHashMap<>();
    for (Owned o : StructureWeights.ownership(net.spec())) {
      perVariable.computeIfAbsent(o.variable(), v -> new ArrayList<>()).add(o);
    }
    Map<String, Operand<TFloat32>> grads = new LinkedHashMap<>();
    perVariable.forEach((v, owners) -> {
      long[] dims = net.variable(v).shape().asArray();
      Operand<TFloat32> c;
      if (dims.length == 2 && owners.size() == 2 && owners.get(0).axis() == 0
          && owners.get(1).axis() == 1) {
        // a dense kernel owned by its input gates (rows) and its units (columns), the first
        // layer of a network with input gates: C = a (+) b, formed as the product [a, 1] [1, b]^T,
        // which writes the [n, m] sum in one pass (a broadcasting addition costs several); each
        // entry is exactly a_i + b_j
        Operand<TFloat32> a = twice(s, coefficients.get(owners.get(0).group()));
        Operand<TFloat32> b = twice(s, coefficients.get(owners.get(1).group()));
        Operand<TFloat32> left = s.stack(List.of(a, s.onesLike(a)), Stack.axis(1L));
        Operand<TFloat32> right = s.stack(List.of(s.onesLike(b), b), Stack.axis(1L));
        c = s.linalg.matMul(left, right, MatMul.transposeB(true));
      } else {
        c = null;
        for (Owned o : owners) {
          Operand<TFloat32> part = twice(s, coefficients.get(o.group()));
          if (o.axis() < 0) {
            part = s.reshape(part, s.constant(new int[0])); // one structure: a scalar
          } else if (o.rank() > 1) {
            int[] shape = new int[o.rank()];
            java.util.Arrays.fill(shape, 1);
            shape[o.axis()] = (int) dims[o.axis()];
            part = s.reshape(part, s.constant(shape));
          }
          c = c == null ? part : s.math.add(c, part);
        }
      }
      // the product is cached whole: refreshed with the other cached terms, it spares the step
      // a pass over every weight tensor (TensorCache.NONE: exact at every step)
      grads.put(v, cache.cached("prior_gradient/" + v,
          s.stopGradient(s.math.mul(s.identity(net.variable(v)), c))));
    });
    return grads;
  }

  private static Operand<TFloat32> twice(Ops s, Operand<TFloat32> coefficient) {
    return s.math.mul(coefficient, s.constant(2f));
  }
}
