package io.beamline.sdk.internal.state;

/** Where keyed state cells live ({@code --stateBackend}). */
public enum StateBackend {
  /** runners-core's in-memory state; snapshots encode every cell (default). */
  HEAP,
  /**
   * RocksDB on local disk (a temporary directory per run), so state may exceed the heap; snapshots
   * are RocksDB checkpoints (hard links of its SST files). Timers stay on the heap.
   */
  ROCKSDB
}
