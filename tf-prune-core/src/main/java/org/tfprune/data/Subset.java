package org.tfprune.data;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.List;

/**
 * Examples {@code [from, to)} of another reader, in its reading order: how a streamed data set's
 * last fraction is held out for evaluation. Shards cut at {@code from} are read from their start,
 * skipping the examples before it.
 */
public final class Subset implements ExampleReader {
  private final ExampleReader base;
  private final List<Shard> shards = new ArrayList<>();

  private Subset(ExampleReader base, long from, long to) {
    this.base = base;
    long start = 0;
    for (Shard s : base.shards()) {
      long end = start + s.size();
      long a = Math.max(from, start);
      long b = Math.min(to, end);
      if (a < b) {
        shards.add(cut(s, a - start, b - start, base.exampleSize()));
      }
      start = end;
    }
  }

  /** Examples {@code [from, to)} of {@code base}. */
  public static Subset of(ExampleReader base, long from, long to) {
    checkArgument(0 <= from && from < to && to <= base.size(),
        "range [%s, %s) is not a non-empty part of %s examples", from, to, base.size());
    return new Subset(base, from, to);
  }

  /**
   * Splits {@code base} into its first {@code 1 - fraction} and its last {@code fraction} (as
   * Keras' {@code validation_split} does): returns {training, held out}.
   */
  public static Subset[] holdOut(ExampleReader base, double fraction) {
    checkArgument(fraction > 0 && fraction < 1, "held-out fraction %s must be in (0, 1)",
        fraction);
    long n = base.size();
    long held = Math.round(n * fraction);
    checkArgument(held > 0 && held < n, "holding out %s of %s examples leaves an empty part",
        (Object) fraction, n);
    return new Subset[] {of(base, 0, n - held), of(base, n - held, n)};
  }

  private static Shard cut(Shard s, long skip, long end, int exampleSize) {
    if (skip == 0 && end == s.size()) {
      return s;
    }
    return new Shard() {
      @Override
      public String name() {
        return s.name() + " [" + skip + ", " + end + ")";
      }

      @Override
      public long size() {
        return end - skip;
      }

      @Override
      public Cursor open() {
        Cursor c = s.open();
        return new Cursor() {
          private final float[] discard = new float[exampleSize];
          private long read;

          @Override
          public boolean next(float[] features, int offset) {
            while (read < skip) {
              if (!c.next(discard, 0)) {
                return false;
              }
              read++;
            }
            if (read >= end || !c.next(features, offset)) {
              return false;
            }
            read++;
            return true;
          }

          @Override
          public int label() {
            return c.label();
          }

          @Override
          public long record() {
            return c.record();
          }

          @Override
          public String file() {
            return c.file();
          }

          @Override
          public void close() {
            c.close();
          }
        };
      }
    };
  }

  @Override
  public String source() {
    return base.source();
  }

  @Override
  public int[] exampleShape() {
    return base.exampleShape();
  }

  @Override
  public List<Shard> shards() {
    return List.copyOf(shards);
  }
}
