package org.tfprune.examples.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.guava.GuavaModule;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The one JSON form of the reports tf-prune writes: indented, Guava collections included. */
public final class JsonFiles {
  private static final ObjectMapper JSON = new ObjectMapper().registerModule(new GuavaModule())
      .enable(SerializationFeature.INDENT_OUTPUT);

  private JsonFiles() {}

  /** {@code value} as indented JSON. */
  public static byte[] write(Object value) {
    try {
      return JSON.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A {@code type} read back from {@code json}. */
  public static <T> T read(byte[] json, Class<T> type) {
    try {
      return JSON.readValue(json, type);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
