package org.tfprune.data;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.proto.Example;
import org.tensorflow.proto.Feature;

/**
 * Reads TFRecord files of {@code tf.train.Example}s, one shard per file of a glob. The image
 * feature is raw bytes (one uint8 per value, row-major), an encoded PNG or JPEG (decoded with
 * TensorFlow's own ops), or a float list; the label feature is an int64 list of one value.
 *
 * <p>Raw bytes and float lists do not carry their shape: give it in {@link Options#exampleShape}.
 * Encoded images carry theirs ({@code {height, width, channels}}); every image must have the shape
 * of the first.
 */
public final class TfRecordReader implements ExampleReader {
  /** The image feature's default key. */
  public static final String IMAGE_KEY = "image";
  /** The label feature's default key. */
  public static final String LABEL_KEY = "label";

  /**
   * How to read the records.
   *
   * @param imageKey the image feature's key
   * @param labelKey the label feature's key
   * @param exampleShape the shape of one example, or null to take it from the first encoded image
   * @param scale the factor every value is multiplied by
   */
  public record Options(String imageKey, String labelKey, int[] exampleShape, InputScale scale) {
    /** The keys {@value #IMAGE_KEY} and {@value #LABEL_KEY}, no shape, the automatic scale. */
    public static final Options DEFAULT = new Options(IMAGE_KEY, LABEL_KEY, null, InputScale.AUTO);

    /** Checks the keys and copies the shape. */
    public Options {
      checkNotNull(imageKey, "imageKey");
      checkNotNull(labelKey, "labelKey");
      checkNotNull(scale, "scale");
      checkArgument(!imageKey.isBlank() && !labelKey.isBlank(), "feature keys must not be blank");
      exampleShape = exampleShape == null ? null : exampleShape.clone();
    }

    /** These options with another shape. */
    public Options withExampleShape(int[] shape) {
      return new Options(imageKey, labelKey, shape, scale);
    }
  }

  private enum Encoding { RAW, ENCODED, FLOATS }

  private final String source;
  private final Options options;
  private final int[] shape;
  private final int size;
  private final Encoding encoding;
  private final List<Shard> shards = new ArrayList<>();

  private TfRecordReader(String source, List<Path> files, Options options) {
    this.source = source;
    this.options = options;
    List<Long> counts = new ArrayList<>();
    for (Path f : files) {
      counts.add(TfRecordFile.count(f));
    }
    Path first = null;
    byte[] payload = null;
    for (int i = 0; i < files.size() && payload == null; i++) {
      if (counts.get(i) > 0) {
        first = files.get(i);
        try (TfRecordFile.Records r = new TfRecordFile.Records(first)) {
          payload = r.next();
        }
      }
    }
    if (payload == null) {
      throw new MalformedDataException(source, -1, "holds no records",
          "Pass TFRecord files of tf.train.Examples.");
    }
    Feature image = feature(parse(payload, first.toString(), 0), options.imageKey(),
        first.toString(), 0, "image", "--image-key");
    this.encoding = encodingOf(image, first.toString());
    if (encoding == Encoding.ENCODED && options.exampleShape() == null) {
      try (ImageDecoder d = new ImageDecoder()) {
        this.shape = decode(d, image.getBytesList().getValue(0).toByteArray(), first.toString(),
            0).shape();
      }
    } else if (options.exampleShape() == null) {
      int values = encoding == Encoding.RAW ? image.getBytesList().getValue(0).size()
          : image.getFloatList().getValueCount();
      throw new ShapeMismatchException(first.toString(), 0, "holds the image as "
          + (encoding == Encoding.RAW ? values + " raw bytes" : values + " floats")
          + ", which do not say their shape", "Give the shape of one example (the model's input "
          + "shape, e.g. --input-shape 28,28,1).");
    } else {
      this.shape = options.exampleShape();
    }
    this.size = ExampleShapes.size(shape);
    for (int i = 0; i < files.size(); i++) {
      Path f = files.get(i);
      long n = counts.get(i);
      shards.add(new Shard() {
        @Override
        public String name() {
          return f.toString();
        }

        @Override
        public long size() {
          return n;
        }

        @Override
        public Cursor open() {
          return new RecordCursor(f);
        }
      });
    }
  }

  /**
   * Opens the files {@code glob} names (sorted by path), counting their records and checking
   * every record's length CRC.
   *
   * @throws TruncatedRecordException if a file's framing is broken
   * @throws MissingFeatureException if the first record lacks the image or label key
   * @throws ShapeMismatchException if the shape is needed and not given
   */
  public static TfRecordReader open(String glob, Options options) {
    checkNotNull(glob, "glob");
    checkNotNull(options, "options");
    return new TfRecordReader(glob, Globs.expand(glob), options);
  }

  /** Opens the given files in the order given. */
  public static TfRecordReader open(List<Path> files, Options options) {
    checkArgument(!files.isEmpty(), "no TFRecord files given");
    return new TfRecordReader(files.size() == 1 ? files.get(0).toString()
        : files.get(0) + " and " + (files.size() - 1) + " more", files, options);
  }

  @Override
  public String source() {
    return source;
  }

  @Override
  public int[] exampleShape() {
    return shape.clone();
  }

  @Override
  public List<Shard> shards() {
    return List.copyOf(shards);
  }

  private static Example parse(byte[] payload, String file, long record) {
    try {
      return Example.parseFrom(payload);
    } catch (InvalidProtocolBufferException e) {
      throw new MalformedDataException(file, record, "is not a tf.train.Example ("
          + e.getMessage() + ")", "Write the records with tf.train.Example(...)"
          + ".SerializeToString().", e);
    }
  }

  private static Feature feature(Example example, String key, String file, long record,
      String what, String option) {
    Map<String, Feature> map = example.getFeatures().getFeatureMap();
    Feature f = map.get(key);
    if (f == null) {
      throw new MissingFeatureException(file, record, String.format(
          "has no feature '%s' for the %s; its features are %s", key, what,
          new TreeSet<>(map.keySet())), "Name the " + what + " feature with " + option + ".");
    }
    return f;
  }

  private Encoding encodingOf(Feature image, String file) {
    if (image.hasBytesList() && image.getBytesList().getValueCount() == 1) {
      byte[] head = image.getBytesList().getValue(0).substring(0,
          Math.min(4, image.getBytesList().getValue(0).size())).toByteArray();
      return ImageDecoder.isPng(head) || ImageDecoder.isJpeg(head) ? Encoding.ENCODED
          : Encoding.RAW;
    }
    if (image.hasFloatList()) {
      return Encoding.FLOATS;
    }
    throw new MissingFeatureException(file, 0, "holds the image feature '" + options.imageKey()
        + "' as " + describe(image) + ", expected one bytes value (raw, PNG or JPEG) or a float "
        + "list", "Store the image as tf.train.BytesList(value=[bytes]) or "
        + "tf.train.FloatList(value=pixels).");
  }

  private static String describe(Feature f) {
    return switch (f.getKindCase()) {
      case BYTES_LIST -> f.getBytesList().getValueCount() + " bytes values";
      case FLOAT_LIST -> "a float list";
      case INT64_LIST -> "an int64 list";
      default -> "an empty feature";
    };
  }

  private static ImageDecoder.Image decode(ImageDecoder d, byte[] bytes, String file,
      long record) {
    try {
      return d.decode(bytes);
    } catch (TensorFlowException e) {
      throw new MalformedDataException(file, record, "holds an image TensorFlow cannot decode ("
          + e.getMessage().lines().findFirst().orElse("") + ")", "Write the image again as PNG "
          + "or JPEG, or as raw bytes.", e);
    }
  }

  private final class RecordCursor implements Cursor {
    private final Path file;
    private final TfRecordFile.Records records;
    private ImageDecoder decoder;
    private int label;

    RecordCursor(Path file) {
      this.file = file;
      this.records = new TfRecordFile.Records(file);
    }

    @Override
    public boolean next(float[] features, int offset) {
      byte[] payload = records.next();
      if (payload == null) {
        return false;
      }
      String name = file.toString();
      long record = records.record();
      Example example = parse(payload, name, record);
      Feature image = feature(example, options.imageKey(), name, record, "image", "--image-key");
      Feature labelFeature = feature(example, options.labelKey(), name, record, "label",
          "--label-key");
      if (!labelFeature.hasInt64List() || labelFeature.getInt64List().getValueCount() != 1) {
        throw new MissingFeatureException(name, record, "holds the label '" + options.labelKey()
            + "' as " + describe(labelFeature) + (labelFeature.hasInt64List() ? " of "
            + labelFeature.getInt64List().getValueCount() + " values" : "")
            + ", expected an int64 list of one class index", "Store the label as "
            + "tf.train.Int64List(value=[class_index]).");
      }
      long l = labelFeature.getInt64List().getValue(0);
      if (l < 0 || l > Integer.MAX_VALUE) {
        throw new LabelOutOfRangeException(name, record, "has label " + l
            + ", not a class index", "Labels must be class indices 0, 1, ..., numClasses - 1.");
      }
      label = (int) l;
      fill(image, name, record, features, offset);
      return true;
    }

    private void fill(Feature image, String name, long record, float[] out, int offset) {
      if (image.hasFloatList()) {
        int n = image.getFloatList().getValueCount();
        checkSize(n, "floats", name, record);
        InputScale s = options.scale().forFloats();
        for (int i = 0; i < n; i++) {
          out[offset + i] = s.apply(image.getFloatList().getValue(i));
        }
        return;
      }
      if (!image.hasBytesList() || image.getBytesList().getValueCount() != 1) {
        throw new MissingFeatureException(name, record, "holds the image feature '"
            + options.imageKey() + "' as " + describe(image) + ", expected one bytes value or a "
            + "float list", "Store every record's image the same way.");
      }
      ByteString value = image.getBytesList().getValue(0);
      byte[] bytes = value.toByteArray();
      if (ImageDecoder.isPng(bytes) || ImageDecoder.isJpeg(bytes)) {
        if (decoder == null) {
          decoder = new ImageDecoder();
        }
        ImageDecoder.Image img = decode(decoder, bytes, name, record);
        if (!ExampleShapes.compatible(img.shape(), shape)) {
          throw new ShapeMismatchException(name, record, "holds an image of shape "
              + Arrays.toString(img.shape()) + " where " + Arrays.toString(shape)
              + " is expected", "Resize every image to the model's input shape.");
        }
        bytes = img.pixels();
      } else {
        checkSize(bytes.length, "raw bytes", name, record);
      }
      InputScale s = options.scale().forBytes();
      for (int i = 0; i < bytes.length; i++) {
        out[offset + i] = s.apply(bytes[i] & 0xFF);
      }
    }

    private void checkSize(int n, String what, String name, long record) {
      if (n != size) {
        throw new ShapeMismatchException(name, record, "holds an image of " + n + " " + what
            + " where the example shape " + Arrays.toString(shape) + " needs " + size,
            "Check the input shape, or write every image with " + size + " values.");
      }
    }

    @Override
    public int label() {
      return label;
    }

    @Override
    public long record() {
      return records.record();
    }

    @Override
    public String file() {
      return file.toString();
    }

    @Override
    public void close() {
      records.close();
      if (decoder != null) {
        decoder.close();
      }
    }
  }
}
