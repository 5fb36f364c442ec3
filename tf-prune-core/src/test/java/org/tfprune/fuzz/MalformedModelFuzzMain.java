package org.tfprune.fuzz;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tfprune.export.ExportException;
import org.tfprune.export.InferenceModel;
import org.tfprune.export.SavedModelLoader;
import org.tfprune.imports.ImportException;
import org.tfprune.imports.ImportOptions;
import org.tfprune.imports.ModelImporter;
import org.tfprune.slice.HostTensor;

/**
 * Run in a child JVM by {@link MalformedModelFuzzTest}: damages copies of a SavedModel (variants
 * {@code from} to {@code to - 1} of seed {@code seed}) and loads each through the importer (with
 * its check) and through the exported-model loader (running the signature on a batch); prints
 * one line per step, flushed before the next, so a crash names its variant. Arguments: the
 * pristine SavedModel, a work directory, seed, from, to, features per example.
 */
public final class MalformedModelFuzzMain {
  /** The files a variant damages, relative to the SavedModel directory. */
  static final List<String> FILES = List.of("saved_model.pb", "variables/variables.index",
      "variables/variables.data-00000-of-00001");

  private MalformedModelFuzzMain() {}

  public static void main(String[] args) throws IOException {
    Path pristine = Path.of(args[0]);
    Path work = Path.of(args[1]);
    long seed = Long.parseLong(args[2]);
    int from = Integer.parseInt(args[3]);
    int to = Integer.parseInt(args[4]);
    int features = Integer.parseInt(args[5]);
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    int count = 8;
    float[] x = new float[count * features];
    SplittableRandom data = new SplittableRandom(seed ^ 0x5eed);
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) data.nextDouble();
    }
    for (int k = from; k < to; k++) {
      Path dir = work.resolve("variant-" + k);
      copy(pristine, dir);
      String what = mutate(dir, new SplittableRandom(seed * 1_000_003L + k));
      out.println("VARIANT " + k + " " + what);
      Map<String, String> before = snapshot(work);
      out.println("IMPORT " + k + " " + importOutcome(dir, x, count));
      out.println("EXPORT " + k + " " + exportOutcome(dir, x, count, features));
      Map<String, String> after = snapshot(work);
      if (!before.equals(after)) {
        out.println("PARTIAL " + k + " files changed: " + before.keySet() + " -> "
            + after.keySet());
      }
      MoreFiles.deleteRecursively(dir, RecursiveDeleteOption.ALLOW_INSECURE);
    }
    out.println("DONE");
  }

  private static String importOutcome(Path dir, float[] x, int count) {
    try {
      ModelImporter.load(dir, ImportOptions.DEFAULT, x, count);
      return "loaded";
    } catch (ImportException | ExportException e) {
      return "refused " + oneLine(e);
    } catch (RuntimeException | Error e) {
      return "other " + e.getClass().getName() + ": " + oneLine(e);
    }
  }

  private static String exportOutcome(Path dir, float[] x, int count, int features) {
    try (SavedModelBundle b = SavedModelLoader.load(dir)) {
      try (TFloat32 t = TFloat32.tensorOf(Shape.of(count, features),
              DataBuffers.of(x, true, false));
          Result r = b.function(InferenceModel.SIGNATURE_KEY)
              .call(Map.of("input", t))) {
        float[] logits = HostTensor.of((TFloat32) r.get(InferenceModel.LOGITS).orElseThrow())
            .values();
        for (float v : logits) {
          if (!Float.isFinite(v)) {
            return "nonfinite " + Arrays.toString(logits);
          }
        }
        return "loaded";
      } catch (RuntimeException e) {
        // loaded, but TensorFlow refused to run it: a named error of the run itself
        return "runerror " + e.getClass().getName() + ": " + oneLine(e);
      }
    } catch (ExportException e) {
      return "refused " + oneLine(e);
    } catch (RuntimeException | Error e) {
      return "other " + e.getClass().getName() + ": " + oneLine(e);
    }
  }

  private static String oneLine(Throwable e) {
    String m = String.valueOf(e.getMessage()).replace('\n', ' ');
    return m.length() > 300 ? m.substring(0, 300) + "..." : m;
  }

  /** Applies one seeded mutation to one of the files; returns what it did. */
  static String mutate(Path dir, SplittableRandom r) throws IOException {
    String name = FILES.get(r.nextInt(FILES.size()));
    Path f = dir.resolve(name);
    byte[] b = Files.readAllBytes(f);
    int kind = r.nextInt(4);
    String what;
    switch (kind) {
      case 0 -> {
        int flips = 1 + r.nextInt(4);
        StringBuilder s = new StringBuilder("bit flips at");
        for (int i = 0; i < flips && b.length > 0; i++) {
          int at = r.nextInt(b.length);
          b[at] ^= (byte) (1 << r.nextInt(8));
          s.append(' ').append(at);
        }
        what = s.toString();
      }
      case 1 -> {
        int len = b.length == 0 ? 0 : r.nextInt(b.length);
        b = Arrays.copyOf(b, len);
        what = "truncated to " + len;
      }
      case 2 -> {
        int len = 1 + r.nextInt(16);
        int at = b.length == 0 ? 0 : r.nextInt(b.length);
        for (int i = at; i < Math.min(b.length, at + len); i++) {
          b[i] = (byte) r.nextInt(256);
        }
        what = "random bytes at " + at + "+" + len;
      }
      default -> {
        b = new byte[0];
        what = "emptied";
      }
    }
    Files.write(f, b);
    return name + " " + what;
  }

  private static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t);
        }
      }
    }
  }

  /** Every file under {@code root} with its size and modification time. */
  static Map<String, String> snapshot(Path root) throws IOException {
    Map<String, String> m = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        m.put(root.relativize(p).toString(), Files.isDirectory(p) ? "dir"
            : Files.size(p) + "@" + Files.getLastModifiedTime(p).toMillis());
      }
    }
    return m;
  }
}
