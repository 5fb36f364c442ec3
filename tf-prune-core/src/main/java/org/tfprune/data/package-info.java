/**
 * Users' own data: readers for TFRecord, NumPy and in-memory examples behind one small interface,
 * checks before training, and loading in memory or streamed from disk.
 *
 * <p><b>Separation.</b> As in Keras' data adapters, each kind of data has its own reader behind
 * {@link org.tfprune.data.ExampleReader} (shards of examples read in order): {@link
 * org.tfprune.data.TfRecordReader}, {@link org.tfprune.data.NpzReader}, {@link
 * org.tfprune.data.NpyReader}, {@link org.tfprune.data.ArrayReader} (arrays already in memory,
 * e.g. from the examples module's IDX reader) and {@link org.tfprune.data.BatchReader} (a Java
 * program's own batches). {@link org.tfprune.data.DataLoader} owns the decisions every reader
 * shares: checks, in memory or streamed, shuffling; the trainer sees only {@link
 * org.tfprune.train.TrainingData}.
 *
 * <p><b>What reads TFRecord files, and why.</b> The record framing (length, masked CRC32C of the
 * length, payload, masked CRC32C of the payload) is read in Java with Guava's {@code
 * Hashing.crc32c()}, and each payload is parsed with the {@code tf.train.Example} protobuf classes
 * TensorFlow ships ({@code org.tensorflow.proto.Example}). TF-Java's {@code TFRecordDataset} and
 * the {@code TFRecordReader}/{@code ParseExample} ops were not used for three reasons: a broken
 * record must be reported with its file, its index and a fix, while the native reader reports a
 * generic {@code DataLossError} with a byte offset; malformed protocol buffers can abort the JVM in
 * native code, while a Java parse fails with an exception; and streaming must shuffle across
 * shards under a seed this package controls, and count records up front (the trainer needs the
 * size of an epoch) by scanning the length headers without reading payloads. Images are decoded
 * with TensorFlow's own {@code DecodePng} and {@code DecodeJpeg} ops ({@code ImageDecoder}), so
 * the pixels are exactly those a TensorFlow input pipeline produces (JPEG decoders differ).
 *
 * <p><b>NumPy.</b> No NumPy reader on Maven Central is both small and kept up, so the {@code .npy}
 * header is parsed here ({@link org.tfprune.data.NpyHeader}, format versions 1 to 3, with
 * validation of every field); {@code .npz} archives are read with {@code java.util.zip}.
 *
 * <p><b>Values.</b> Every value is multiplied by an {@link org.tfprune.data.InputScale}; by
 * default bytes become {@code b / 255} and floats stay as they are.
 */
package org.tfprune.data;
