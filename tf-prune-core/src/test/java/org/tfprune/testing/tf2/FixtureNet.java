package org.tfprune.testing.tf2;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A small network for the TF2-style fixtures, with seeded weights: dense and conv layers (a conv
 * with batch norm instead of a bias when asked), max pooling, flatten, softmax at the end. Its
 * variables are listed in the order the serving function captures them.
 */
record FixtureNet(long[] inputShape, List<Layer> layers, List<Var> vars) {
  /** A layer of the network; {@code scope} is its Keras name ({@code dense}, {@code conv2d_1}). */
  sealed interface Layer {
    String scope();
  }

  record Dense(String scope, int in, int out, boolean relu, boolean addV2) implements Layer {}

  record Conv(String scope, int in, int out, boolean batchNorm) implements Layer {}

  record Pool(String scope) implements Layer {}

  record Flatten(String scope, int features) implements Layer {}

  /** A weight: its Keras variable name ({@code dense/kernel}), checkpoint key and value. */
  record Var(String name, String key, long[] shape, float[] value, int layer) {}

  static final float EPSILON = 0.001f;

  /** A 784-32-16-10 MLP with a softmax. */
  static FixtureNet mlp(long seed, boolean addV2) {
    return build(new long[] {784}, seed, List.of(new Dense("dense", 784, 32, true, addV2),
        new Dense("dense_1", 32, 16, true, addV2), new Dense("dense_2", 16, 10, false, addV2)));
  }

  /**
   * conv 3x3 (4, batch norm) - relu - max pool - conv 3x3 (8, bias) - relu - max pool - flatten
   * (200) - dense 10 - softmax, on 28x28x1 images.
   */
  static FixtureNet conv(long seed) {
    return build(new long[] {28, 28, 1}, seed, List.of(new Conv("conv2d", 1, 4, true),
        new Pool("max_pooling2d"), new Conv("conv2d_1", 4, 8, false), new Pool("max_pooling2d_1"),
        new Flatten("flatten", 5 * 5 * 8), new Dense("dense", 200, 10, false, false)));
  }

  private static FixtureNet build(long[] input, long seed, List<Layer> layers) {
    Random r = new Random(seed);
    List<Var> vars = new ArrayList<>();
    int withWeights = 0;
    for (int i = 0; i < layers.size(); i++) {
      String key = "layer_with_weights-" + withWeights + "/";
      String tail = "/.ATTRIBUTES/VARIABLE_VALUE";
      Layer l = layers.get(i);
      if (l instanceof Dense d) {
        vars.add(new Var(d.scope() + "/kernel", key + "kernel" + tail, new long[] {d.in(),
            d.out()}, normal(r, d.in() * d.out(), Math.sqrt(2.0 / d.in())), i));
        vars.add(new Var(d.scope() + "/bias", key + "bias" + tail, new long[] {d.out()},
            normal(r, d.out(), 0.1), i));
        withWeights++;
      } else if (l instanceof Conv c) {
        vars.add(new Var(c.scope() + "/kernel", key + "kernel" + tail, new long[] {3, 3, c.in(),
            c.out()}, normal(r, 9 * c.in() * c.out(), Math.sqrt(2.0 / (9 * c.in()))), i));
        if (c.batchNorm()) {
          float[] var = normal(r, c.out(), 0.2);
          for (int k = 0; k < var.length; k++) {
            var[k] = 0.5f + Math.abs(var[k]) * 4;
          }
          float[] gamma = normal(r, c.out(), 0.1);
          for (int k = 0; k < gamma.length; k++) {
            gamma[k] += 1;
          }
          vars.add(new Var(c.scope() + "/gamma", key + "gamma" + tail, new long[] {c.out()},
              gamma, i));
          vars.add(new Var(c.scope() + "/beta", key + "beta" + tail, new long[] {c.out()},
              normal(r, c.out(), 0.1), i));
          vars.add(new Var(c.scope() + "/moving_mean", key + "moving_mean" + tail,
              new long[] {c.out()}, normal(r, c.out(), 0.1), i));
          vars.add(new Var(c.scope() + "/moving_variance", key + "moving_variance" + tail,
              new long[] {c.out()}, var, i));
        } else {
          vars.add(new Var(c.scope() + "/bias", key + "bias" + tail, new long[] {c.out()},
              normal(r, c.out(), 0.1), i));
        }
        withWeights++;
      }
    }
    return new FixtureNet(input, List.copyOf(layers), List.copyOf(vars));
  }

  private static float[] normal(Random r, int n, double std) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (r.nextGaussian() * std);
    }
    return v;
  }

  /** The variables of layer {@code i}, in capture order. */
  List<Var> varsOf(int i) {
    return vars.stream().filter(v -> v.layer() == i).toList();
  }

  /**
   * Writes layer {@code i}'s ops reading {@code x}; node names start with {@code base}; the layer's
   * variables come from {@code resources} (one per variable, in order). Returns the output.
   */
  String emit(OpWriter w, int i, String base, String x, List<String> resources) {
    Layer l = layers.get(i);
    boolean last = i == layers.size() - 1;
    String out;
    if (l instanceof Dense d) {
      String k = w.read(base + "MatMul/ReadVariableOp", resources.get(0));
      String y = w.matMul(base + "MatMul", x, k);
      if (d.addV2()) {
        out = w.addV2(base + "Add", y, w.read(base + "Add/ReadVariableOp", resources.get(1)));
      } else {
        out = w.biasAdd(base + "BiasAdd", y, w.read(base + "BiasAdd/ReadVariableOp",
            resources.get(1)));
      }
      out = d.relu() ? w.relu(base + "Relu", out) : out;
    } else if (l instanceof Conv c) {
      String k = w.read(base + "Conv2D/ReadVariableOp", resources.get(0));
      out = w.conv2d(base + "Conv2D", x, k, "VALID");
      if (c.batchNorm()) {
        out = w.batchNorm(base + "FusedBatchNormV3", out,
            w.read(base + "ReadVariableOp", resources.get(1)),
            w.read(base + "ReadVariableOp_1", resources.get(2)),
            w.read(base + "FusedBatchNormV3/ReadVariableOp", resources.get(3)),
            w.read(base + "FusedBatchNormV3/ReadVariableOp_1", resources.get(4)), EPSILON);
      } else {
        out = w.biasAdd(base + "BiasAdd", out, w.read(base + "BiasAdd/ReadVariableOp",
            resources.get(1)));
      }
      out = w.relu(base + "Relu", out);
    } else if (l instanceof Pool) {
      out = w.maxPool(base + "MaxPool", x);
    } else {
      out = w.flatten(base, x, ((Flatten) l).features());
    }
    return last ? w.softmax(base + "Softmax", out) : out;
  }
}
