package org.tfprune.export;

import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;
import org.tensorflow.proto.BundleEntryProto;
import org.tensorflow.proto.BundleHeaderProto;

/**
 * Reads a TensorBundle index ({@code variables/variables.index}) without TensorFlow's native
 * code: the file is a LevelDB-format table (footer with the magic number, an index block, data
 * blocks each followed by its compression type and masked CRC-32C); the entry under the empty key
 * is the {@link BundleHeaderProto}, every other entry a variable's {@link BundleEntryProto}. Any
 * inconsistency is an {@link IllegalArgumentException} describing where the file is damaged.
 */
final class TensorBundleIndex {
  private static final long TABLE_MAGIC = 0xdb4775248b80fb57L;
  private static final int FOOTER_LENGTH = 48;
  private static final int BLOCK_TRAILER = 5;
  private static final int MASK_DELTA = 0xa282ead8;

  /** The header and the entries by variable name. */
  record Index(BundleHeaderProto header, Map<String, BundleEntryProto> entries) {}

  private TensorBundleIndex() {}

  static Index parse(byte[] file) {
    if (file.length < FOOTER_LENGTH) {
      throw new IllegalArgumentException("it has " + file.length + " bytes, fewer than the "
          + FOOTER_LENGTH + "-byte table footer");
    }
    ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    if (b.getLong(file.length - 8) != TABLE_MAGIC) {
      throw new IllegalArgumentException("its footer lacks the table magic number");
    }
    int[] pos = {file.length - FOOTER_LENGTH};
    varint(file, pos, file.length - 8); // metaindex handle: unused by bundles
    varint(file, pos, file.length - 8);
    long indexOffset = varint(file, pos, file.length - 8);
    long indexSize = varint(file, pos, file.length - 8);
    byte[] index = block(file, indexOffset, indexSize);
    BundleHeaderProto header = null;
    Map<String, BundleEntryProto> entries = new LinkedHashMap<>();
    for (Map.Entry<String, byte[]> handle : entries(index).entrySet()) {
      int[] p = {0};
      byte[] h = handle.getValue();
      long offset = varint(h, p, h.length);
      long size = varint(h, p, h.length);
      for (Map.Entry<String, byte[]> e : entries(block(file, offset, size)).entrySet()) {
        try {
          if (e.getKey().isEmpty()) {
            header = BundleHeaderProto.parseFrom(e.getValue());
          } else {
            entries.put(e.getKey(), BundleEntryProto.parseFrom(e.getValue()));
          }
        } catch (InvalidProtocolBufferException ex) {
          throw new IllegalArgumentException("the entry '" + e.getKey() + "' cannot be parsed ("
              + ex.getMessage() + ")", ex);
        }
      }
    }
    if (header == null) {
      throw new IllegalArgumentException("it has no bundle header");
    }
    return new Index(header, entries);
  }

  /** The contents of the block at {@code offset}, its checksum verified. */
  private static byte[] block(byte[] file, long offset, long size) {
    if (offset < 0 || size < 0 || offset + size + BLOCK_TRAILER > file.length - FOOTER_LENGTH) {
      throw new IllegalArgumentException("a block at offset " + offset + " of " + size
          + " bytes lies outside the file's " + file.length + " bytes");
    }
    int o = (int) offset;
    int n = (int) size;
    CRC32C crc = new CRC32C();
    crc.update(file, o, n + 1); // the contents and the compression type byte
    int stored = ByteBuffer.wrap(file, o + n + 1, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    if (mask((int) crc.getValue()) != stored) {
      throw new IllegalArgumentException("the checksum of the block at offset " + offset
          + " does not match its contents");
    }
    if (file[o + n] != 0) {
      throw new IllegalArgumentException("the block at offset " + offset + " is compressed (type "
          + file[o + n] + "), which TensorFlow's bundle writer never does");
    }
    byte[] out = new byte[n];
    System.arraycopy(file, o, out, 0, n);
    return out;
  }

  static int mask(int crc) {
    return ((crc >>> 15) | (crc << 17)) + MASK_DELTA;
  }

  /** The key-value entries of a block (prefix-compressed keys, then the restart array). */
  private static Map<String, byte[]> entries(byte[] block) {
    if (block.length < 4) {
      throw new IllegalArgumentException("a block of " + block.length + " bytes is too short");
    }
    long restarts = ByteBuffer.wrap(block, block.length - 4, 4).order(ByteOrder.LITTLE_ENDIAN)
        .getInt() & 0xffffffffL;
    long end = block.length - 4 - 4 * restarts;
    if (restarts == 0 || end < 0) {
      throw new IllegalArgumentException("a block declares " + restarts + " restart points");
    }
    Map<String, byte[]> out = new LinkedHashMap<>();
    byte[] key = new byte[0];
    int[] p = {0};
    while (p[0] < end) {
      long shared = varint(block, p, (int) end);
      long unshared = varint(block, p, (int) end);
      long valueLength = varint(block, p, (int) end);
      if (shared > key.length || unshared > end - p[0] || valueLength > end - p[0] - unshared) {
        throw new IllegalArgumentException("a block entry runs past its block");
      }
      byte[] k = new byte[(int) (shared + unshared)];
      System.arraycopy(key, 0, k, 0, (int) shared);
      System.arraycopy(block, p[0], k, (int) shared, (int) unshared);
      p[0] += (int) unshared;
      byte[] v = new byte[(int) valueLength];
      System.arraycopy(block, p[0], v, 0, v.length);
      p[0] += v.length;
      key = k;
      out.put(new String(k, StandardCharsets.UTF_8), v);
    }
    return out;
  }

  private static long varint(byte[] b, int[] pos, int limit) {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos[0] >= limit) {
        throw new IllegalArgumentException("a number runs past its block");
      }
      int c = b[pos[0]++] & 0xff;
      v |= (long) (c & 0x7f) << shift;
      if ((c & 0x80) == 0) {
        if (v < 0 || v > Integer.MAX_VALUE) {
          throw new IllegalArgumentException("a length or offset of " + v + " is out of range");
        }
        return v;
      }
    }
    throw new IllegalArgumentException("a number is longer than 10 bytes");
  }
}
