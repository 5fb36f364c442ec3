package org.tfprune.data;

import static com.google.common.base.Preconditions.checkNotNull;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The header of a NumPy {@code .npy} array (format versions 1.0, 2.0 and 3.0): element type,
 * shape, and where the data starts. The data must be in C order and little-endian (or single
 * bytes); anything else is refused with the NumPy call that converts it.
 *
 * <p>The header is {@code \x93NUMPY}, a major and minor version byte, the length of the dictionary
 * text (2 bytes little-endian in version 1, 4 bytes in versions 2 and 3), then a Python dictionary
 * literal such as {@code {'descr': '<f4', 'fortran_order': False, 'shape': (60000, 28, 28), }}
 * padded with spaces and a newline.
 */
public record NpyHeader(ElementType type, long[] shape, long dataOffset) {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final int MAX_HEADER = 1 << 20;
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");
  private static final Pattern KEY = Pattern.compile("'([a-z_]+)'\\s*:");

  /** The element types the readers accept, each with its NumPy descriptor. */
  public enum ElementType {
    UINT8("|u1", 1, true), INT8("|i1", 1, true), INT16("<i2", 2, true), UINT16("<u2", 2, true),
    INT32("<i4", 4, true), UINT32("<u4", 4, true), INT64("<i8", 8, true), FLOAT32("<f4", 4, false),
    FLOAT64("<f8", 8, false);

    private final String descr;
    private final int bytes;
    private final boolean integer;

    ElementType(String descr, int bytes, boolean integer) {
      this.descr = descr;
      this.bytes = bytes;
      this.integer = integer;
    }

    /** Bytes per element. */
    public int bytes() {
      return bytes;
    }

    /** Whether the type holds integers. */
    public boolean integer() {
      return integer;
    }

    /** The NumPy descriptor, e.g. {@code <f4}. */
    public String descr() {
      return descr;
    }

    static ElementType of(String descr) {
      String d = descr.length() == 3 && descr.charAt(2) == '1' && descr.charAt(0) != '>'
          ? "|" + descr.substring(1) : descr.replace('=', '<');
      for (ElementType t : values()) {
        if (t.descr.equals(d)) {
          return t;
        }
      }
      return null;
    }
  }

  /** Copies the shape. */
  public NpyHeader {
    checkNotNull(type, "type");
    shape = shape.clone();
  }

  /** The shape; a fresh copy. */
  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** The number of elements. */
  public long elements() {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** The number of data bytes after the header. */
  public long dataBytes() {
    return Math.multiplyExact(elements(), type.bytes());
  }

  /**
   * Reads and checks the header from {@code in}, leaving it at the first data byte.
   *
   * @param source the file (or archive entry) for messages
   * @throws MalformedDataException if the header is not a valid {@code .npy} header or the array is
   *     in Fortran order, big-endian, or of an unsupported element type
   */
  public static NpyHeader read(InputStream in, String source) {
    try {
      byte[] start = in.readNBytes(10);
      if (start.length < 10 || !Arrays.equals(Arrays.copyOf(start, 6), MAGIC)) {
        throw malformed(source, "does not start with the .npy magic string \\x93NUMPY",
            "Pass an array written by numpy.save (or an .npz archive by numpy.savez).");
      }
      int major = start[6] & 0xFF;
      long length;
      int prefix;
      if (major == 1) {
        length = ByteBuffer.wrap(start, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xFFFF;
        prefix = 10;
      } else if (major == 2 || major == 3) {
        byte[] more = in.readNBytes(2);
        if (more.length < 2) {
          throw new EOFException();
        }
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        b.put(start, 8, 2).put(more).flip();
        length = b.getInt() & 0xFFFFFFFFL;
        prefix = 12;
      } else {
        throw malformed(source, "has .npy format version " + major + "." + (start[7] & 0xFF)
            + ", which this reader does not know (it reads 1.0, 2.0 and 3.0)",
            "Save the array again with numpy.save.");
      }
      if (length > MAX_HEADER) {
        throw malformed(source, "declares a header of " + length + " bytes", "The file is damaged;"
            + " save the array again with numpy.save.");
      }
      byte[] text = in.readNBytes((int) length);
      if (text.length < length) {
        throw new EOFException();
      }
      return parse(new String(text, major == 3 ? StandardCharsets.UTF_8
          : StandardCharsets.ISO_8859_1), prefix + length, source);
    } catch (EOFException e) {
      throw malformed(source, "ends inside the .npy header", "The file is truncated; save the "
          + "array again with numpy.save.");
    } catch (IOException e) {
      throw new MalformedDataException(source, -1, "cannot be read (" + e + ")",
          "Check that the file is readable.", e);
    }
  }

  static NpyHeader parse(String text, long dataOffset, String source) {
    String dict = text.strip();
    String fix = "Save the array with numpy.save; the header must be a dictionary with the keys "
        + "'descr', 'fortran_order' and 'shape'.";
    if (!dict.startsWith("{") || !dict.endsWith("}")) {
      throw malformed(source, "has a header that is not a dictionary: " + abbreviate(dict), fix);
    }
    List<String> keys = new ArrayList<>();
    Matcher k = KEY.matcher(dict);
    while (k.find()) {
      keys.add(k.group(1));
    }
    if (keys.size() != 3 || !keys.containsAll(List.of("descr", "fortran_order", "shape"))) {
      throw malformed(source, "has header keys " + keys, fix);
    }
    Matcher d = DESCR.matcher(dict);
    Matcher f = FORTRAN.matcher(dict);
    Matcher s = SHAPE.matcher(dict);
    if (!d.find() || !f.find() || !s.find()) {
      throw malformed(source, "has a header that cannot be parsed: " + abbreviate(dict), fix);
    }
    if (f.group(1).equals("True")) {
      throw malformed(source, "holds an array in Fortran (column-major) order",
          "Save it in C order: numpy.save(path, numpy.ascontiguousarray(x)).");
    }
    ElementType type = ElementType.of(d.group(1));
    if (type == null) {
      throw malformed(source, "has element type '" + d.group(1) + "', which is not supported "
          + "(images: uint8 or little-endian float32; labels: an integer type)",
          "Convert it, e.g. numpy.save(path, x.astype('<f4')) or y.astype('<i8').");
    }
    String[] parts = s.group(1).split(",");
    List<Long> dims = new ArrayList<>();
    for (String p : parts) {
      String t = p.strip();
      if (t.isEmpty()) {
        continue;
      }
      try {
        long v = Long.parseLong(t);
        if (v < 0) {
          throw new NumberFormatException();
        }
        dims.add(v);
      } catch (NumberFormatException e) {
        throw malformed(source, "has an invalid shape (" + s.group(1) + ")", fix);
      }
    }
    long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
    NpyHeader h = new NpyHeader(type, shape, dataOffset);
    try {
      h.dataBytes();
    } catch (ArithmeticException e) {
      throw malformed(source, "has a shape too large to address " + Arrays.toString(shape), fix);
    }
    return h;
  }

  private static String abbreviate(String s) {
    return s.length() > 120 ? s.substring(0, 120) + "..." : s;
  }

  private static MalformedDataException malformed(String source, String problem, String fix) {
    return new MalformedDataException(source, -1, problem, fix);
  }
}
