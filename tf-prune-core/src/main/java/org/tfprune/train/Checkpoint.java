package org.tfprune.train;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;
import org.tfprune.slice.HostTensor;
import org.tfprune.slice.ParameterSet;
import org.tfprune.spec.ArchitectureSpec;
import org.tfprune.spec.KeepMask;

/**
 * A {@link TrainingState} on disk: one binary file ({@code TFPRUNE-CKPT} header, the run's key, the
 * state, a CRC-32 of everything before it), written to a temporary file and moved into place, so
 * a process killed while saving leaves the previous checkpoint intact. The run's key (spec and
 * trajectory settings) must match at resume: a checkpoint of another run is refused, not loaded.
 */
final class Checkpoint {
  private static final byte[] MAGIC = "TFPRUNE-CKPT".getBytes(StandardCharsets.US_ASCII);
  private static final int VERSION = 3;

  private Checkpoint() {}

  /** The identity of a run: the spec it started from and every setting of its trajectory. */
  record RunKey(String summary, String full) {
    static RunKey of(ArchitectureSpec spec, TrainerConfig config, long trainingExamples) {
      String summary = String.format("%s %s, %s, %d epochs, seed %d, %d training examples",
          spec.name(), spec.widthString(), config.gated() ? "gated, strength "
              + config.knobs().strength() : "dense", config.epochs(), config.seed(),
          trainingExamples);
      return new RunKey(summary, spec + "|" + config.trajectoryKey() + "|" + trainingExamples);
    }
  }

  static void write(Path file, TrainingState s, RunKey key) {
    Path dir = file.toAbsolutePath().getParent();
    Path tmp = dir.resolve(file.getFileName() + ".tmp");
    try {
      Files.createDirectories(dir);
      CRC32 crc = new CRC32();
      try (OutputStream raw = Files.newOutputStream(tmp);
          CheckedOutputStream checked = new CheckedOutputStream(new BufferedOutputStream(raw,
              1 << 16), crc);
          DataOutputStream out = new DataOutputStream(checked)) {
        out.write(MAGIC);
        out.writeInt(VERSION);
        writeString(out, key.summary());
        writeString(out, key.full());
        writeState(out, s);
        out.flush();
        long sum = crc.getValue();
        out.writeLong(sum);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING,
            StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new CheckpointException("cannot write checkpoint " + file + ": " + e.getMessage()
          + "; check that the directory is writable and the disk has space, or choose another "
          + "checkpoint location", e);
    }
  }

  static TrainingState read(Path file, RunKey expected, ArchitectureSpec initialSpec) {
    CRC32 crc = new CRC32();
    try (InputStream raw = Files.newInputStream(file);
        CheckedInputStream checked = new CheckedInputStream(new BufferedInputStream(raw,
            1 << 16), crc);
        DataInputStream in = new DataInputStream(checked)) {
      byte[] magic = new byte[MAGIC.length];
      in.readFully(magic);
      if (!Arrays.equals(magic, MAGIC)) {
        throw corrupt(file, "it does not start with the tf-prune checkpoint header");
      }
      int version = in.readInt();
      if (version != VERSION) {
        throw new CheckpointException("checkpoint " + file + " has format version " + version
            + " but this tf-prune reads version " + VERSION + "; delete it to start over");
      }
      String summary = readString(in);
      String full = readString(in);
      TrainingState s = readState(in, initialSpec);
      long sum = crc.getValue();
      long stored = in.readLong();
      if (sum != stored) {
        throw corrupt(file, "its checksum does not match its content");
      }
      if (!full.equals(expected.full())) {
        throw new CheckpointException("checkpoint " + file + " belongs to another run: it was "
            + "written for [" + summary + "] but this run is [" + expected.summary() + "]"
            + (summary.equals(expected.summary()) ? " with other settings" : "")
            + "; resume with the same model, data and settings, or delete the checkpoint (or "
            + "choose another checkpoint location) to start over");
      }
      return s;
    } catch (EOFException e) {
      throw corrupt(file, "it is truncated");
    } catch (CorruptData e) {
      throw corrupt(file, e.getMessage());
    } catch (IOException e) {
      throw new CheckpointException("cannot read checkpoint " + file + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      if (e instanceof CheckpointException) {
        throw e;
      }
      throw corrupt(file, "its content is inconsistent (" + e.getMessage() + ")");
    }
  }

  private static CheckpointException corrupt(Path file, String why) {
    return new CheckpointException("checkpoint " + file + " is corrupt: " + why
        + "; delete it to start the run over (the run keeps no other copy)");
  }

  private static void writeState(DataOutputStream out, TrainingState s) throws IOException {
    out.writeInt(s.initialShapes().size());
    for (Map.Entry<String, long[]> e : s.initialShapes().entrySet()) {
      writeString(out, e.getKey());
      writeLongs(out, e.getValue());
    }
    out.writeBoolean(s.inGraph() != null);
    if (s.inGraph() != null) {
      out.writeInt(s.inGraph().groups().size());
      for (String g : s.inGraph().groups()) {
        writeString(out, g);
        boolean[] f = s.inGraph().flags(g);
        out.writeInt(f.length);
        for (boolean b : f) {
          out.writeBoolean(b);
        }
      }
    }
    writeTensors(out, s.parameters().asMap());
    out.writeInt(s.masks().size());
    for (Map.Entry<String, float[]> e : s.masks().entrySet()) {
      writeString(out, e.getKey());
      writeFloats(out, e.getValue());
    }
    out.writeInt(s.zeroChecks().size());
    for (Map.Entry<String, int[]> e : s.zeroChecks().entrySet()) {
      writeString(out, e.getKey());
      out.writeInt(e.getValue().length);
      for (int v : e.getValue()) {
        out.writeInt(v);
      }
    }
    out.writeInt(s.optimizers().size());
    for (Map.Entry<String, ImmutableMap<String, HostTensor>> e : s.optimizers().entrySet()) {
      writeString(out, e.getKey());
      writeTensors(out, e.getValue());
    }
    writeTensors(out, s.priorCache());
    out.writeInt(s.carriedNorms().size());
    for (Map.Entry<String, float[]> e : s.carriedNorms().entrySet()) {
      writeString(out, e.getKey());
      writeFloats(out, e.getValue());
    }
    TrainingState.Progress p = s.progress();
    out.writeInt(p.epoch());
    out.writeInt(p.step());
    out.writeLong(p.globalStep());
    out.writeBoolean(p.finetuneStarted());
    out.writeDouble(p.binaryAtEndOfPruning());
    out.writeDouble(p.trainSeconds());
    out.writeDouble(p.lossSum());
    out.writeDouble(p.objectiveSum());
    out.writeInt(p.objectiveCount());
    out.writeDouble(p.epochSeconds());
    out.writeInt(p.rebuilds());
    out.writeBoolean(p.complete());
    out.writeInt(p.history().size());
    for (EpochStats e : p.history()) {
      out.writeInt(e.epoch());
      writeString(out, e.phase());
      out.writeDouble(e.dataLoss());
      out.writeDouble(e.objective());
      out.writeDouble(e.testAccuracy());
      out.writeInt(e.liveWidths().size());
      for (Map.Entry<String, Integer> w : e.liveWidths().entrySet()) {
        writeString(out, w.getKey());
        out.writeInt(w.getValue());
      }
      out.writeDouble(e.macsFraction());
      out.writeDouble(e.paramsFraction());
      out.writeDouble(e.binaryFraction());
      out.writeInt(e.frozen());
      out.writeDouble(e.seconds());
      out.writeDouble(e.trainingMacs());
      out.writeDouble(e.strength());
    }
  }

  private static TrainingState readState(DataInputStream in, ArchitectureSpec initialSpec)
      throws IOException {
    ImmutableMap.Builder<String, long[]> shapes = ImmutableMap.builder();
    int n = count(in);
    for (int i = 0; i < n; i++) {
      shapes.put(readString(in), readLongs(in));
    }
    KeepMask inGraph = null;
    if (in.readBoolean()) {
      Map<String, boolean[]> m = new LinkedHashMap<>();
      int groups = count(in);
      for (int i = 0; i < groups; i++) {
        String g = readString(in);
        boolean[] f = new boolean[count(in)];
        for (int j = 0; j < f.length; j++) {
          f[j] = in.readBoolean();
        }
        m.put(g, f);
      }
      inGraph = KeepMask.of(m);
    }
    ParameterSet params = new ParameterSet(readTensors(in));
    ImmutableMap.Builder<String, float[]> masks = ImmutableMap.builder();
    n = count(in);
    for (int i = 0; i < n; i++) {
      masks.put(readString(in), readFloats(in));
    }
    ImmutableMap.Builder<String, int[]> zero = ImmutableMap.builder();
    n = count(in);
    for (int i = 0; i < n; i++) {
      String g = readString(in);
      int[] z = new int[count(in)];
      for (int j = 0; j < z.length; j++) {
        z[j] = in.readInt();
      }
      zero.put(g, z);
    }
    ImmutableMap.Builder<String, ImmutableMap<String, HostTensor>> opts = ImmutableMap.builder();
    n = count(in);
    for (int i = 0; i < n; i++) {
      opts.put(readString(in), ImmutableMap.copyOf(readTensors(in)));
    }
    ImmutableMap<String, HostTensor> cache = ImmutableMap.copyOf(readTensors(in));
    ImmutableMap.Builder<String, float[]> carried = ImmutableMap.builder();
    n = count(in);
    for (int i = 0; i < n; i++) {
      carried.put(readString(in), readFloats(in));
    }
    int epoch = in.readInt();
    int step = in.readInt();
    long globalStep = in.readLong();
    boolean finetuneStarted = in.readBoolean();
    double binary = in.readDouble();
    double trainSeconds = in.readDouble();
    double lossSum = in.readDouble();
    double objSum = in.readDouble();
    int objCount = in.readInt();
    double epochSeconds = in.readDouble();
    int rebuilds = in.readInt();
    boolean complete = in.readBoolean();
    ImmutableList.Builder<EpochStats> history = ImmutableList.builder();
    n = count(in);
    for (int i = 0; i < n; i++) {
      int e = in.readInt();
      String phase = readString(in);
      double dataLoss = in.readDouble();
      double objective = in.readDouble();
      double acc = in.readDouble();
      ImmutableMap.Builder<String, Integer> widths = ImmutableMap.builder();
      int w = count(in);
      for (int j = 0; j < w; j++) {
        widths.put(readString(in), in.readInt());
      }
      history.add(new EpochStats(e, phase, dataLoss, objective, acc, widths.build(),
          in.readDouble(), in.readDouble(), in.readDouble(), in.readInt(), in.readDouble(),
          in.readDouble(), in.readDouble()));
    }
    return new TrainingState(new TrainedStructure(initialSpec, shapes.build(), inGraph), params,
        masks.build(), zero.build(), opts.build(), cache, new TrainingState.Progress(epoch, step,
            globalStep, finetuneStarted, binary, trainSeconds, lossSum, objSum, objCount,
            epochSeconds, rebuilds, history.build(), complete), carried.build());
  }

  private static void writeTensors(DataOutputStream out, Map<String, HostTensor> tensors)
      throws IOException {
    out.writeInt(tensors.size());
    for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
      writeString(out, e.getKey());
      writeLongs(out, e.getValue().shape());
      writeFloats(out, e.getValue().values());
    }
  }

  private static Map<String, HostTensor> readTensors(DataInputStream in) throws IOException {
    Map<String, HostTensor> m = new LinkedHashMap<>();
    int n = count(in);
    for (int i = 0; i < n; i++) {
      String name = readString(in);
      long[] shape = readLongs(in);
      m.put(name, new HostTensor(shape, readFloats(in)));
    }
    return m;
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readString(DataInputStream in) throws IOException {
    byte[] b = new byte[count(in)];
    in.readFully(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  private static void writeLongs(DataOutputStream out, long[] v) throws IOException {
    out.writeInt(v.length);
    for (long x : v) {
      out.writeLong(x);
    }
  }

  private static long[] readLongs(DataInputStream in) throws IOException {
    long[] v = new long[count(in)];
    for (int i = 0; i < v.length; i++) {
      v[i] = in.readLong();
    }
    return v;
  }

  private static void writeFloats(DataOutputStream out, float[] v) throws IOException {
    out.writeInt(v.length);
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(v.length * 4);
    b.asFloatBuffer().put(v);
    out.write(b.array());
  }

  private static float[] readFloats(DataInputStream in) throws IOException {
    int n = count(in);
    byte[] raw = new byte[n * 4];
    in.readFully(raw);
    float[] v = new float[n];
    java.nio.ByteBuffer.wrap(raw).asFloatBuffer().get(v);
    return v;
  }

  private static final class CorruptData extends IOException {
    CorruptData(String message) {
      super(message);
    }
  }

  /** A length or count: corrupt files must not make the reader allocate gigabytes. */
  private static int count(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > (1 << 28)) {
      throw new CorruptData("it holds an implausible length (" + n + ")");
    }
    return n;
  }
}
