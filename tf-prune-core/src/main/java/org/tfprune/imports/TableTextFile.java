package org.tfprune.imports;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.tensorflow.proto.DataType;

/**
 * The keys and values {@code InitializeTableFromTextFileV2} reads from a text file, parsed as
 * TensorFlow's {@code TextFileLineIterator} does: one entry per line (a line ends at {@code \n},
 * one trailing {@code \r} dropped, a last line without {@code \n} counted, an empty line an
 * error); a column index of -2 takes the whole line, -1 the line number plus {@code offset}
 * (int64), 0 and up a field of the line split at each {@code delimiter} byte (empty fields
 * kept); at most {@code vocab_size} lines when it is not -1, and an error when the file has
 * fewer. Fields become int32 (plus {@code offset}), int64, float, double (leading and trailing
 * whitespace allowed) or the field's bytes.
 */
final class TableTextFile {
  /** The column index of the whole line. */
  static final long WHOLE_LINE = -2;
  /** The column index of the line number. */
  static final long LINE_NUMBER = -1;
  /** Longest number TensorFlow's float parser reads, plus one. */
  private static final int FLOAT_LIMIT = 32;
  private static final Pattern DECIMAL = Pattern.compile(
      "[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?");
  private static final Pattern SPECIAL = Pattern.compile("[+-]?(inf|nan)",
      Pattern.CASE_INSENSITIVE);

  /** How the initializer reads the file (its attributes). */
  record Format(long keyIndex, long valueIndex, byte delimiter, long vocabSize, long offset) {}

  /** Keys and values in file order. */
  record Entries(List<Object> keys, List<Object> values) {}

  private TableTextFile() {}

  /**
   * Reads {@code file}.
   *
   * @param what the lookup and the file, for messages
   * @throws ImportException when the file cannot be read or TensorFlow would refuse it
   */
  static Entries read(Path file, Format f, DataType keyType, DataType valueType, String what) {
    checkTypes(f.keyIndex(), keyType, "key", what);
    checkTypes(f.valueIndex(), valueType, "value", what);
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new ImportException(what + " cannot read " + file + " (" + e + "): copy the whole "
          + "SavedModel directory, assets/ included, again", e);
    }
    List<Object> keys = new ArrayList<>();
    List<Object> values = new ArrayList<>();
    int pos = 0;
    long line = 0;
    while (true) {
      if (pos >= bytes.length) {
        if (line == 0) {
          throw new ImportException(what + " reads " + file + ", which holds no line: "
              + "TensorFlow refuses to initialize the table");
        }
        if (f.vocabSize() != -1 && line != f.vocabSize()) {
          throw new ImportException(what + " expects " + f.vocabSize() + " lines (vocab_size) "
              + "in " + file + ", which has " + line + ": TensorFlow refuses to initialize "
              + "the table");
        }
        break;
      }
      int end = pos;
      while (end < bytes.length && bytes[end] != '\n') {
        end++;
      }
      int stop = end > pos && bytes[end - 1] == '\r' ? end - 1 : end;
      byte[] text = java.util.Arrays.copyOfRange(bytes, pos, stop);
      pos = end + 1;
      if (end == bytes.length && text.length == 0) {
        continue; // a last line holding only '\r': the end of the file
      }
      if (f.vocabSize() != -1 && line >= f.vocabSize()) {
        break;
      }
      if (text.length == 0) {
        throw new ImportException(what + " reads " + file + ", whose line " + line + " is "
            + "empty: TensorFlow refuses to initialize the table");
      }
      List<byte[]> fields = Math.max(f.keyIndex(), f.valueIndex()) < 0 ? List.of()
          : split(text, f.delimiter());
      long needed = Math.max(f.keyIndex(), f.valueIndex()) + 1;
      if (fields.size() < needed) {
        throw new ImportException(what + " reads " + file + ", whose line " + line + " has "
            + fields.size() + " field(s) split at " + delimiter(f.delimiter()) + " where "
            + needed + " are needed: TensorFlow refuses to initialize the table");
      }
      keys.add(value(text, fields, f.keyIndex(), keyType, line, f.offset(), file, what));
      values.add(value(text, fields, f.valueIndex(), valueType, line, f.offset(), file, what));
      line++;
    }
    return new Entries(keys, values);
  }

  private static void checkTypes(long index, DataType type, String role, String what) {
    boolean ok = index == LINE_NUMBER ? type == DataType.DT_INT64
        : index == WHOLE_LINE ? type == DataType.DT_INT32 || type == DataType.DT_INT64
            || type == DataType.DT_STRING
        : index >= 0 && TableContents.VALUE_TYPES.contains(type) && type != DataType.DT_BOOL;
    if (!ok) {
      throw new ImportException(what + " reads its " + role + "s from column " + index
          + " as " + type + ", which TensorFlow refuses (or tf-prune does not parse)");
    }
  }

  private static List<byte[]> split(byte[] text, byte delimiter) {
    List<byte[]> out = new ArrayList<>();
    int start = 0;
    for (int i = 0; i <= text.length; i++) {
      if (i == text.length || text[i] == delimiter) {
        out.add(java.util.Arrays.copyOfRange(text, start, i));
        start = i + 1;
      }
    }
    return out;
  }

  private static Object value(byte[] text, List<byte[]> fields, long index, DataType type,
      long line, long offset, Path file, String what) {
    if (index == LINE_NUMBER) {
      return line + offset;
    }
    byte[] token = index == WHOLE_LINE ? text : fields.get((int) index);
    if (type == DataType.DT_STRING) {
      return ByteString.copyFrom(token);
    }
    String s = cString(token);
    Object v = switch (type) {
      case DT_INT32 -> {
        Long n = integer(s, Integer.MIN_VALUE, Integer.MAX_VALUE);
        yield n == null ? null : (long) (int) (n + offset);
      }
      case DT_INT64 -> integer(s, Long.MIN_VALUE, Long.MAX_VALUE);
      case DT_FLOAT -> decimal(s) ? Float.parseFloat(trim(s)) : special(s, true);
      case DT_DOUBLE -> decimal(s) ? Double.parseDouble(trim(s)) : special(s, false);
      default -> null;
    };
    if (v == null) {
      throw new ImportException(what + " reads " + file + ", whose line " + line + " holds '"
          + s + "', not a valid " + type + " for tf-prune: TensorFlow refuses it, or reads a "
          + "form (hexadecimal) tf-prune does not parse");
    }
    return v;
  }

  /** The token as C code reads it: up to its first NUL byte. */
  private static String cString(byte[] token) {
    int n = 0;
    while (n < token.length && token[n] != 0) {
      n++;
    }
    return new String(token, 0, n, StandardCharsets.ISO_8859_1);
  }

  /** An integer with optional whitespace around and an optional '-', in range; else null. */
  private static Long integer(String s, long min, long max) {
    String t = trim(s);
    String digits = t.startsWith("-") ? t.substring(1) : t;
    if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return null;
    }
    try {
      long v = Long.parseLong(t);
      return v < min || v > max ? null : v;
    } catch (NumberFormatException e) {
      return null; // overflow
    }
  }

  private static boolean decimal(String s) {
    return s.length() < FLOAT_LIMIT && DECIMAL.matcher(trim(s)).matches();
  }

  /** inf or nan, any case, signed, as a float or double; else null. */
  private static Object special(String s, boolean single) {
    String t = trim(s);
    if (s.length() >= FLOAT_LIMIT || !SPECIAL.matcher(t).matches()) {
      return null;
    }
    boolean negative = t.startsWith("-");
    boolean nan = t.toLowerCase(java.util.Locale.ROOT).endsWith("nan");
    double v = nan ? Double.NaN : negative ? Double.NEGATIVE_INFINITY
        : Double.POSITIVE_INFINITY;
    return single ? (Object) (float) v : (Object) v;
  }

  /** Without the characters C's isspace accepts at either end. */
  private static String trim(String s) {
    int a = 0;
    int b = s.length();
    while (a < b && " \t\n\u000b\f\r".indexOf(s.charAt(a)) >= 0) {
      a++;
    }
    while (b > a && " \t\n\u000b\f\r".indexOf(s.charAt(b - 1)) >= 0) {
      b--;
    }
    return s.substring(a, b);
  }

  private static String delimiter(byte d) {
    return d == '\t' ? "tab" : "'" + (char) (d & 0xff) + "'";
  }
}
