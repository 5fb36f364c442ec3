package org.tfprune.data;

import com.google.protobuf.ByteString;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.imageio.ImageIO;
import org.tensorflow.proto.BytesList;
import org.tensorflow.proto.Example;
import org.tensorflow.proto.Feature;
import org.tensorflow.proto.Features;
import org.tensorflow.proto.FloatList;
import org.tensorflow.proto.Int64List;
import org.tfprune.testing.Mnist;

/**
 * Test fixtures: the first {@code n} MNIST training examples as raw bytes, and writers of the
 * formats the readers read (TFRecord of raw or PNG images, .npy, .npz, IDX).
 */
public final class MnistFiles {
  public static final int ROWS = 28;
  public static final int[] SHAPE = {28, 28, 1};
  public static final int SIZE = 784;

  /** Raw pixel bytes ({@code n * 784}) and labels of the first {@code n} examples. */
  public record Raw(byte[] pixels, int[] labels) {
    public int count() {
      return labels.length;
    }

    public byte[] image(int i) {
      return Arrays.copyOfRange(pixels, i * SIZE, (i + 1) * SIZE);
    }

    /** The pixels as the IDX reader gives them: {@code b / 255f}. */
    public float[] scaled() {
      float[] x = new float[pixels.length];
      for (int i = 0; i < x.length; i++) {
        x[i] = (pixels[i] & 0xFF) / 255f;
      }
      return x;
    }
  }

  private MnistFiles() {}

  public static Raw raw(int n) {
    Path d = Mnist.dir();
    try (DataInputStream im = new DataInputStream(
            Files.newInputStream(d.resolve("train-images-idx3-ubyte")));
        DataInputStream lb = new DataInputStream(
            Files.newInputStream(d.resolve("train-labels-idx1-ubyte")))) {
      im.skipNBytes(16);
      lb.skipNBytes(8);
      byte[] px = new byte[n * SIZE];
      im.readFully(px);
      int[] y = new int[n];
      for (int i = 0; i < n; i++) {
        y[i] = lb.readUnsignedByte();
      }
      return new Raw(px, y);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Example example(Feature image, long label) {
    return Example.newBuilder().setFeatures(Features.newBuilder()
        .putFeature("image", image)
        .putFeature("label", Feature.newBuilder()
            .setInt64List(Int64List.newBuilder().addValue(label)).build()))
        .build();
  }

  public static Feature bytesFeature(byte[] b) {
    return Feature.newBuilder().setBytesList(BytesList.newBuilder()
        .addValue(ByteString.copyFrom(b))).build();
  }

  public static Feature floatFeature(float[] v) {
    FloatList.Builder f = FloatList.newBuilder();
    for (float x : v) {
      f.addValue(x);
    }
    return Feature.newBuilder().setFloatList(f).build();
  }

  public static byte[] png(byte[] gray) {
    BufferedImage img = new BufferedImage(ROWS, ROWS, BufferedImage.TYPE_BYTE_GRAY);
    img.getRaster().setDataElements(0, 0, ROWS, ROWS, gray);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(img, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Writes records {@code [from, to)} of {@code examples} into one TFRecord file. */
  public static void writeTfRecord(Path file, List<Example> examples) {
    try (OutputStream out = Files.newOutputStream(file)) {
      for (Example e : examples) {
        out.write(TfRecordFile.frame(e.toByteArray()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The examples with raw-byte images. */
  public static List<Example> rawExamples(Raw raw) {
    return java.util.stream.IntStream.range(0, raw.count())
        .mapToObj(i -> example(bytesFeature(raw.image(i)), raw.labels()[i])).toList();
  }

  /** The examples with PNG images. */
  public static List<Example> pngExamples(Raw raw) {
    return java.util.stream.IntStream.range(0, raw.count())
        .mapToObj(i -> example(bytesFeature(png(raw.image(i))), raw.labels()[i])).toList();
  }

  /** Writes {@code examples} into {@code shards} files {@code prefix-0000i-of-0000n.tfrecord}. */
  public static void writeShards(Path dir, String prefix, List<Example> examples, int shards) {
    int per = (examples.size() + shards - 1) / shards;
    for (int s = 0; s < shards; s++) {
      writeTfRecord(dir.resolve(String.format("%s-%05d-of-%05d.tfrecord", prefix, s, shards)),
          examples.subList(s * per, Math.min(examples.size(), (s + 1) * per)));
    }
  }

  /** An .npy file: header (version 1.0, padded to 64 bytes) and data. */
  public static byte[] npy(String descr, long[] shape, byte[] data, boolean fortran) {
    StringBuilder dims = new StringBuilder();
    for (long d : shape) {
      dims.append(d).append(", ");
    }
    String s = shape.length == 1 ? shape[0] + "," : dims.substring(0, dims.length() - 2);
    String dict = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False")
        + ", 'shape': (" + s + "), }";
    int total = 10 + dict.length() + 1;
    int pad = (64 - total % 64) % 64;
    String header = dict + " ".repeat(pad) + "\n";
    ByteBuffer b = ByteBuffer.allocate(10 + header.length() + data.length)
        .order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
    b.putShort((short) header.length());
    b.put(header.getBytes(StandardCharsets.ISO_8859_1));
    b.put(data);
    return b.array();
  }

  public static byte[] imagesNpy(Raw raw) {
    return npy("|u1", new long[] {raw.count(), ROWS, ROWS}, raw.pixels(), false);
  }

  public static byte[] floatImagesNpy(Raw raw) {
    ByteBuffer b = ByteBuffer.allocate(raw.pixels().length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : raw.scaled()) {
      b.putFloat(v);
    }
    return npy("<f4", new long[] {raw.count(), ROWS, ROWS, 1}, b.array(), false);
  }

  public static byte[] labelsNpy(int[] labels) {
    ByteBuffer b = ByteBuffer.allocate(labels.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (int v : labels) {
      b.putLong(v);
    }
    return npy("<i8", new long[] {labels.length}, b.array(), false);
  }

  /** Writes an .npz of the named .npy arrays, stored or deflated. */
  public static void writeNpz(Path file, boolean compressed, Object... nameAndBytes) {
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
      for (int i = 0; i < nameAndBytes.length; i += 2) {
        byte[] data = (byte[]) nameAndBytes[i + 1];
        ZipEntry e = new ZipEntry(nameAndBytes[i] + ".npy");
        if (!compressed) {
          e.setMethod(ZipEntry.STORED);
          e.setSize(data.length);
          CRC32 crc = new CRC32();
          crc.update(data);
          e.setCrc(crc.getValue());
        }
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads all examples of a reader (unchecked), in order: {features, labels}. */
  public static Object[] readAll(ExampleReader r) {
    int n = Math.toIntExact(r.size());
    int s = r.exampleSize();
    float[] x = new float[n * s];
    int[] y = new int[n];
    int i = 0;
    for (ExampleReader.Shard shard : r.shards()) {
      try (ExampleReader.Cursor c = shard.open()) {
        while (c.next(x, i * s)) {
          y[i++] = c.label();
        }
      }
    }
    if (i != n) {
      throw new AssertionError("read " + i + " of " + n);
    }
    return new Object[] {x, y};
  }

  public static byte[] read(Path p) {
    try (InputStream in = Files.newInputStream(p)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
