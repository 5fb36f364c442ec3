package org.tfprune.data;

import java.util.function.Supplier;

/** The one shard of data held in memory: named for its data, opening a fresh cursor each time. */
final class SingleShard implements ExampleReader.Shard {
  private final String name;
  private final long size;
  private final Supplier<ExampleReader.Cursor> opener;

  SingleShard(String name, long size, Supplier<ExampleReader.Cursor> opener) {
    this.name = name;
    this.size = size;
    this.opener = opener;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public ExampleReader.Cursor open() {
    return opener.get();
  }
}
