package io.beamline.io.kafka;

import io.beamline.sdk.io.AwaitingReader;
import io.beamline.sdk.io.OffsetRangeReader;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.OptionalLong;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.io.UnboundedSource.CheckpointMark;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Reads the partitions one {@link KafkaSource} split owns, with one assigned (never subscribed)
 * {@code read_committed} consumer.
 *
 * <ul>
 *   <li><b>Positions</b>: per partition, the offset of the next record to hand out — the first
 *       buffered record's offset, or the consumer's position once the partition's buffer is empty
 *       (which skips transaction markers and aborted records: offsets have gaps).
 *   <li><b>Ranges</b>: under {@link #limitTo} a partition stops at its end position; what was
 *       fetched beyond it stays buffered for later epochs.
 *   <li><b>Watermark</b>: per partition, the largest event time seen minus the allowed
 *       out-of-orderness; the reader's watermark is the minimum over partitions that are not idle
 *       (nothing buffered and no lag), or the maximum if all are idle.
 *   <li><b>Budget</b>: at most {@code maxRecordsPerEpoch / numSplits} records between two
 *       checkpoint marks (the runner takes a mark at the end of every epoch).
 *   <li><b>New partitions</b> of the topics (or matching the pattern) are looked for every {@code
 *       partitionDiscoveryIntervalMillis} and read from their earliest offset.
 * </ul>
 */
final class KafkaReader<K, V> extends UnboundedSource.UnboundedReader<SourceRecord<K, V>>
    implements OffsetRangeReader, AwaitingReader {
  private static final Duration POLL_WITH_BACKLOG = Duration.ofMillis(50);
  /** Records handed out between two non-blocking fetches for starved partitions. */
  private static final int RECORDS_BETWEEN_POLLS = 256;
  /** A partition with this many records buffered is paused in the consumer. */
  private static final int MAX_BUFFERED = 10_000;

  private final KafkaSource<K, V> source;
  private final ReadSpec<K, V> spec;
  private final Consumer<byte[], byte[]> consumer;
  private final Deserializer<K> keyDeserializer;
  private final Deserializer<V> valueDeserializer;
  private final Map<TopicPartition, ArrayDeque<ConsumerRecord<byte[], byte[]>>> buffers =
      new LinkedHashMap<>();
  /** Per partition, the greatest event time read, ms (in a holder: reading boxes nothing). */
  private final Map<TopicPartition, long[]> maxEventTime = new HashMap<>();
  /** The partition of the record {@link #nextBuffered()} returned. */
  private @Nullable TopicPartition nextPartition;
  private final long budgetPerMark;
  private @Nullable Map<TopicPartition, Long> limit;
  private @Nullable SourceRecord<K, V> current;
  private Instant currentTimestamp = BoundedWindow.TIMESTAMP_MIN_VALUE;
  private long sinceMark;
  private long lastDiscoveryNanos;
  private int roundRobin;
  private int sincePoll;
  /** The keys of {@link #buffers} in order, copied when the assignment changes. */
  private List<TopicPartition> assigned = List.of();
  /** Partitions found idle at the last checkpoint mark ({@link #refreshIdle}). */
  private final java.util.Set<TopicPartition> idle = new java.util.HashSet<>();
  private double averageRecordBytes = 100;

  KafkaReader(KafkaSource<K, V> source, @Nullable KafkaCheckpointMark mark) {
    this.source = source;
    this.spec = source.spec;
    this.consumer =
        new KafkaConsumer<>(
            spec.consumerConfig("beamline-kafka-reader-" + source.splitIndex + "-of-"
                + source.numSplits));
    this.keyDeserializer = newDeserializer(spec.keyDeserializer, true);
    this.valueDeserializer = newDeserializer(spec.valueDeserializer, false);
    this.budgetPerMark =
        spec.maxRecordsPerEpoch == Long.MAX_VALUE
            ? Long.MAX_VALUE
            : Math.max(1, spec.maxRecordsPerEpoch / source.numSplits);
    List<TopicPartition> owned = source.owned(source.partitionsOf(consumer));
    Map<TopicPartition, Long> start = new HashMap<>();
    if (mark != null) {
      mark.positions.forEach((name, offset) -> start.put(parse(name), offset));
    }
    for (TopicPartition p : start.keySet()) {
      if (!owned.contains(p)) {
        owned.add(p); // a partition of the mark that is gone from the listing: keep its position
      }
    }
    assign(owned, start, mark == null ? spec.startingOffsets : KafkaIO.StartingOffsets.EARLIEST);
    lastDiscoveryNanos = System.nanoTime();
  }

  @SuppressWarnings("unchecked")
  private <T> Deserializer<T> newDeserializer(
      @Nullable Class<? extends Deserializer<T>> type, boolean isKey) {
    try {
      Deserializer<T> d = (Deserializer<T>) type.getDeclaredConstructor().newInstance();
      d.configure(spec.consumerConfig, isKey);
      return d;
    } catch (ReflectiveOperationException e) {
      throw new IllegalArgumentException("Cannot instantiate deserializer " + type, e);
    }
  }

  /** Adds partitions to the assignment, positioned at {@code start} or by {@code otherwise}. */
  private void assign(
      List<TopicPartition> partitions,
      Map<TopicPartition, Long> start,
      KafkaIO.StartingOffsets otherwise) {
    List<TopicPartition> added = new ArrayList<>();
    for (TopicPartition p : partitions) {
      if (!buffers.containsKey(p)) {
        buffers.put(p, new ArrayDeque<>());
        added.add(p);
      }
    }
    if (added.isEmpty()) {
      return;
    }
    assigned = List.copyOf(buffers.keySet());
    consumer.assign(assigned);
    List<TopicPartition> toEarliest = new ArrayList<>();
    List<TopicPartition> toLatest = new ArrayList<>();
    for (TopicPartition p : added) {
      Long offset = start.get(p);
      if (offset == null && otherwise == KafkaIO.StartingOffsets.SPECIFIC) {
        offset = spec.explicitStartingOffsets.get(name(p));
      }
      if (offset != null) {
        consumer.seek(p, offset);
      } else if (otherwise == KafkaIO.StartingOffsets.LATEST) {
        toLatest.add(p);
      } else {
        toEarliest.add(p);
      }
    }
    // an empty list would mean every assigned partition
    if (!toEarliest.isEmpty()) {
      consumer.seekToBeginning(toEarliest);
    }
    if (!toLatest.isEmpty()) {
      consumer.seekToEnd(toLatest);
    }
    for (TopicPartition p : added) {
      consumer.position(p); // resolve now, so that the first mark is explicit
    }
  }

  static String name(TopicPartition p) {
    return p.topic() + "-" + p.partition();
  }

  static TopicPartition parse(String name) {
    int dash = name.lastIndexOf('-');
    return new TopicPartition(name.substring(0, dash), Integer.parseInt(name.substring(dash + 1)));
  }

  @Override
  public boolean start() throws IOException {
    return advance();
  }

  @Override
  public boolean advance() throws IOException {
    discoverPartitions();
    while (true) {
      if (limit == null && sinceMark >= budgetPerMark) {
        return false;
      }
      if (++sincePoll >= RECORDS_BETWEEN_POLLS && starvedPartition()) {
        // A fetch returns one partition's records first: fetch for the others now, so that a
        // reader of several partitions takes them in turn and none holds the watermark back.
        fetch(Duration.ZERO);
      }
      ConsumerRecord<byte[], byte[]> next = nextBuffered();
      if (next != null) {
        emit(next, nextPartition);
        return true;
      }
      if (limit != null && reachedLimit()) {
        return false;
      }
      if (!poll()) {
        return false;
      }
    }
  }

  /**
   * The next buffered record below the limit, taking partitions in turn (one record each, among
   * those with records buffered).
   */
  private @Nullable ConsumerRecord<byte[], byte[]> nextBuffered() {
    int i = readablePartition();
    if (i < 0) {
      return null;
    }
    roundRobin = (i + 1) % assigned.size();
    nextPartition = assigned.get(i);
    return buffers.get(nextPartition).poll();
  }

  /** Index in {@link #assigned} of the next partition with a record below the limit, or -1. */
  private int readablePartition() {
    for (int i = 0; i < assigned.size(); i++) {
      int index = (roundRobin + i) % assigned.size();
      TopicPartition p = assigned.get(index);
      ConsumerRecord<byte[], byte[]> head = buffers.get(p).peek();
      if (head != null && (limit == null || head.offset() < limit.getOrDefault(p, 0L))) {
        return index;
      }
    }
    return -1;
  }

  /**
   * Waits in the consumer's {@code poll} (blocked in its network selector, no CPU) until records
   * arrive or {@code timeoutMillis} pass; what arrives is buffered for {@link #advance()}. Returns at
   * once if a record is readable already. An interrupt ends the wait with the flag set.
   */
  @Override
  public boolean awaitRecords(long timeoutMillis) {
    if (readable()) {
      return true;
    }
    try {
      fetch(Duration.ofMillis(Math.max(1, timeoutMillis)));
    } catch (org.apache.kafka.common.errors.InterruptException e) {
      Thread.currentThread().interrupt(); // a cancelled run: the task stops next
      return false;
    }
    return readable();
  }

  /** Whether {@link #advance()} would return a buffered record now (within budget and limit). */
  private boolean readable() {
    return (limit != null || sinceMark < budgetPerMark) && readablePartition() >= 0;
  }

  /** Fetches; waits up to 50 ms if some partition has records to fetch. False if none came. */
  private boolean poll() {
    return fetch(hasBacklog() ? POLL_WITH_BACKLOG : Duration.ZERO);
  }

  /**
   * One {@code poll}, with partitions whose buffer holds {@link #MAX_BUFFERED} records or more
   * paused so that memory stays bounded and the fetch goes to the others.
   */
  private boolean fetch(Duration timeout) {
    sincePoll = 0;
    List<TopicPartition> pause = new ArrayList<>();
    List<TopicPartition> resume = new ArrayList<>();
    for (Map.Entry<TopicPartition, ArrayDeque<ConsumerRecord<byte[], byte[]>>> e :
        buffers.entrySet()) {
      (e.getValue().size() >= MAX_BUFFERED ? pause : resume).add(e.getKey());
    }
    consumer.pause(pause);
    consumer.resume(resume);
    ConsumerRecords<byte[], byte[]> records = consumer.poll(timeout);
    for (TopicPartition p : records.partitions()) {
      buffers.get(p).addAll(records.records(p));
    }
    return !records.isEmpty();
  }

  /** A partition with nothing buffered but records to fetch (or an unknown lag). */
  private boolean starvedPartition() {
    for (Map.Entry<TopicPartition, ArrayDeque<ConsumerRecord<byte[], byte[]>>> e :
        buffers.entrySet()) {
      if (e.getValue().isEmpty()) {
        OptionalLong lag = consumer.currentLag(e.getKey());
        if (lag.isEmpty() || lag.getAsLong() > 0) {
          return true;
        }
      }
    }
    return false;
  }

  private boolean hasBacklog() {
    if (limit != null) {
      return true;
    }
    for (TopicPartition p : buffers.keySet()) {
      OptionalLong lag = consumer.currentLag(p);
      if (lag.isEmpty() || lag.getAsLong() > 0) {
        return true;
      }
    }
    return false;
  }

  private void emit(ConsumerRecord<byte[], byte[]> r, TopicPartition p) {
    sinceMark++;
    int bytes = (r.key() == null ? 0 : r.key().length) + (r.value() == null ? 0 : r.value().length);
    averageRecordBytes = 0.99 * averageRecordBytes + 0.01 * bytes;
    K key;
    V value;
    try {
      key = r.key() == null ? null : keyDeserializer.deserialize(r.topic(), r.headers(), r.key());
      value =
          r.value() == null ? null : valueDeserializer.deserialize(r.topic(), r.headers(), r.value());
    } catch (RuntimeException e) {
      current =
          new SourceRecord<>(
              null,
              new DeadLetter(
                  r.topic(), r.partition(), r.offset(), r.timestamp(),
                  e.getClass().getName() + ": " + e.getMessage(), r.key(), r.value()));
      currentTimestamp = new Instant(r.timestamp());
      return;
    }
    KafkaRecord<K, V> record =
        new KafkaRecord<>(r.topic(), r.partition(), r.offset(), r.timestamp(), key, value);
    Instant eventTime =
        spec.timestampFn == null ? new Instant(r.timestamp()) : spec.timestampFn.apply(record);
    current = new SourceRecord<>(record, null);
    currentTimestamp = eventTime;
    long[] max = maxEventTime.computeIfAbsent(p, k -> new long[] {Long.MIN_VALUE});
    max[0] = Math.max(max[0], eventTime.getMillis());
  }

  private void discoverPartitions() {
    long now = System.nanoTime();
    if (now - lastDiscoveryNanos < spec.partitionDiscoveryIntervalMillis * 1_000_000L) {
      return;
    }
    lastDiscoveryNanos = now;
    assign(source.owned(source.partitionsOf(consumer)), Map.of(), KafkaIO.StartingOffsets.EARLIEST);
  }

  @Override
  public SourceRecord<K, V> getCurrent() {
    if (current == null) {
      throw new NoSuchElementException();
    }
    return current;
  }

  @Override
  public Instant getCurrentTimestamp() {
    return currentTimestamp;
  }

  @Override
  public Instant getWatermark() {
    long busy = Long.MAX_VALUE;
    long noWatermark = BoundedWindow.TIMESTAMP_MIN_VALUE.getMillis();
    long idleMax = noWatermark;
    boolean anyBusy = false;
    for (TopicPartition p : buffers.keySet()) {
      long[] max = maxEventTime.get(p);
      long watermark = max == null ? noWatermark : max[0] - spec.maxOutOfOrdernessMillis;
      if (idle.contains(p)) {
        idleMax = Math.max(idleMax, watermark);
      } else {
        anyBusy = true;
        busy = Math.min(busy, watermark);
      }
    }
    return new Instant(anyBusy ? busy : idleMax);
  }

  /**
   * Decides, at the end of an epoch, which partitions are idle: nothing buffered and the position
   * at the partition's last stable offset, asked of the broker now ({@code endOffsets} under {@code
   * read_committed}) — the lag of the last fetch may be stale, and a partition wrongly taken as idle
   * would let the watermark pass records not read yet.
   */
  private void refreshIdle() {
    idle.clear();
    List<TopicPartition> candidates = new ArrayList<>();
    for (TopicPartition p : buffers.keySet()) {
      OptionalLong lag = consumer.currentLag(p);
      if (buffers.get(p).isEmpty() && lag.isPresent() && lag.getAsLong() == 0) {
        candidates.add(p); // looks idle by the last fetch: confirm with the broker
      }
    }
    if (candidates.isEmpty()) {
      return;
    }
    Map<TopicPartition, Long> end = consumer.endOffsets(candidates);
    for (TopicPartition p : candidates) {
      Long lastStable = end.get(p);
      if (lastStable != null && consumer.position(p) >= lastStable) {
        idle.add(p);
      }
    }
  }

  @Override
  public boolean isIdle() {
    return idle.containsAll(buffers.keySet());
  }

  /**
   * The positions, taken at the end of every epoch; also decides which partitions are idle for the
   * epoch's {@link #getWatermark()} and {@link #isIdle()}.
   */
  @Override
  public KafkaCheckpointMark getCheckpointMark() {
    sinceMark = 0;
    refreshIdle();
    Map<String, Long> positions = new HashMap<>();
    for (TopicPartition p : buffers.keySet()) {
      positions.put(name(p), position(p));
    }
    return new KafkaCheckpointMark(positions);
  }

  @Override
  public void limitTo(@Nullable CheckpointMark endMark) {
    if (endMark == null) {
      limit = null;
      return;
    }
    Map<TopicPartition, Long> l = new HashMap<>();
    List<TopicPartition> missing = new ArrayList<>();
    ((KafkaCheckpointMark) endMark)
        .positions.forEach(
            (name, offset) -> {
              TopicPartition p = parse(name);
              l.put(p, offset);
              if (!buffers.containsKey(p)) {
                missing.add(p);
              }
            });
    assign(missing, Map.of(), KafkaIO.StartingOffsets.EARLIEST);
    limit = l;
  }

  @Override
  public boolean reachedLimit() {
    if (limit == null) {
      return false;
    }
    for (Map.Entry<TopicPartition, Long> e : limit.entrySet()) {
      if (position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  /** The next offset this reader hands out for {@code p}. */
  private long position(TopicPartition p) {
    ConsumerRecord<byte[], byte[]> head = buffers.get(p).peek();
    return head != null ? head.offset() : consumer.position(p);
  }

  @Override
  public Map<String, Long> positions(CheckpointMark mark) {
    return ((KafkaCheckpointMark) mark).positions;
  }

  @Override
  public long getSplitBacklogBytes() {
    long records = backlogRecords();
    return records < 0 ? BACKLOG_UNKNOWN : (long) (records * averageRecordBytes);
  }

  /** The consumer's lag behind each partition's end plus the records buffered, or -1 if unknown. */
  @Override
  public long backlogRecords() {
    long records = 0;
    for (TopicPartition p : buffers.keySet()) {
      OptionalLong lag = consumer.currentLag(p);
      if (lag.isEmpty()) {
        return -1;
      }
      records += lag.getAsLong() + buffers.get(p).size();
    }
    return records;
  }

  @Override
  public UnboundedSource<SourceRecord<K, V>, ?> getCurrentSource() {
    return source;
  }

  @Override
  public void close() {
    keyDeserializer.close();
    valueDeserializer.close();
    consumer.close(Duration.ofSeconds(5));
  }
}
