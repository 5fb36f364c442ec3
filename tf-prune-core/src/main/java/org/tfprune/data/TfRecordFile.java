package org.tfprune.data;

import com.google.common.hash.HashFunction;
import com.google.common.hash.Hashing;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The TFRecord framing: each record is its length (8 bytes little-endian), the masked CRC32C of
 * those 8 bytes (4 bytes), the payload, and the masked CRC32C of the payload (4 bytes). Every
 * length and payload is checked against its CRC; a mismatch or a record that runs past the end of
 * the file is a {@link TruncatedRecordException} naming the file and the record.
 */
final class TfRecordFile {
  private static final HashFunction CRC32C = Hashing.crc32c();
  private static final int MASK_DELTA = 0xa282ead8;
  private static final int HEADER = 12;
  private static final int FOOTER = 4;
  private static final long MAX_RECORD = Integer.MAX_VALUE - 8;
  private static final String FIX = "The file is truncated or damaged: write it again (for "
      + "example with tf.io.TFRecordWriter) or leave it out of the glob.";

  private TfRecordFile() {}

  /** The masked CRC32C TFRecord stores: {@code rotate right by 15, plus 0xa282ead8}. */
  static int maskedCrc(byte[] data, int offset, int length) {
    int crc = CRC32C.hashBytes(data, offset, length).asInt();
    return ((crc >>> 15) | (crc << 17)) + MASK_DELTA;
  }

  /** Frames {@code payload} as one TFRecord record. */
  static byte[] frame(byte[] payload) {
    ByteBuffer b = ByteBuffer.allocate(HEADER + payload.length + FOOTER)
        .order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(payload.length);
    b.putInt(maskedCrc(b.array(), 0, 8));
    b.put(payload);
    b.putInt(maskedCrc(payload, 0, payload.length));
    return b.array();
  }

  /**
   * Counts the records of {@code file}, checking every length against its CRC and that every
   * record ends inside the file, without reading the payloads.
   */
  static long count(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      long pos = 0;
      long records = 0;
      ByteBuffer header = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
      while (pos < size) {
        header.clear();
        while (header.hasRemaining() && ch.read(header, pos + header.position()) > 0) {
          // read the whole header
        }
        long length = checkHeader(file, records, header.array(), header.position());
        long end = pos + HEADER + length + FOOTER;
        if (end > size) {
          throw new TruncatedRecordException(file.toString(), records, String.format(
              "declares a payload of %d bytes at byte %d but the file ends after %d bytes",
              length, pos, size), FIX);
        }
        pos = end;
        records++;
      }
      return records;
    } catch (IOException e) {
      throw new MalformedDataException(file.toString(), -1, "cannot be read (" + e + ")",
          "Check that the file is readable.", e);
    }
  }

  private static long checkHeader(Path file, long record, byte[] header, int read) {
    if (read < HEADER) {
      throw new TruncatedRecordException(file.toString(), record, "the file ends inside the "
          + "record's 12-byte length header (" + read + " bytes)", FIX);
    }
    ByteBuffer b = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
    long length = b.getLong(0);
    if (b.getInt(8) != maskedCrc(header, 0, 8)) {
      throw new TruncatedRecordException(file.toString(), record,
          "the CRC of the record's length does not match", FIX);
    }
    if (length < 0 || length > MAX_RECORD) {
      throw new TruncatedRecordException(file.toString(), record,
          "declares a payload of " + Long.toUnsignedString(length) + " bytes", FIX);
    }
    return length;
  }

  /** Reads the records of one file in order, checking both CRCs of each. */
  static final class Records implements AutoCloseable {
    private final Path file;
    private final InputStream in;
    private final byte[] header = new byte[HEADER];
    private final byte[] footer = new byte[FOOTER];
    private long record = -1;

    Records(Path file) {
      this.file = file;
      try {
        this.in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
      } catch (IOException e) {
        throw new MalformedDataException(file.toString(), -1, "cannot be opened (" + e + ")",
            "Check that the file exists and is readable.", e);
      }
    }

    /** The next payload, or null at the end of the file. */
    byte[] next() {
      try {
        int read = in.readNBytes(header, 0, HEADER);
        if (read == 0) {
          return null;
        }
        record++;
        long length = checkHeader(file, record, header, read);
        byte[] payload = in.readNBytes((int) length);
        int tail = in.readNBytes(footer, 0, FOOTER);
        if (payload.length < length || tail < FOOTER) {
          throw new TruncatedRecordException(file.toString(), record, String.format(
              "declares a payload of %d bytes but the file ends before the payload and its CRC",
              length), FIX);
        }
        int stored = ByteBuffer.wrap(footer).order(ByteOrder.LITTLE_ENDIAN).getInt();
        if (stored != maskedCrc(payload, 0, payload.length)) {
          throw new TruncatedRecordException(file.toString(), record,
              "the CRC of the record's data does not match", FIX);
        }
        return payload;
      } catch (IOException e) {
        throw new MalformedDataException(file.toString(), record, "cannot be read (" + e + ")",
            "Check that the file is readable and the disk is healthy.", e);
      }
    }

    /** The index of the record {@link #next} returned last. */
    long record() {
      return record;
    }

    @Override
    public void close() {
      try {
        in.close();
      } catch (IOException e) {
        // read-only: nothing to lose
      }
    }
  }
}
