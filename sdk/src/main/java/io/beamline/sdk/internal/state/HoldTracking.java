package io.beamline.sdk.internal.state;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.beam.runners.core.InMemoryStateInternals;
import org.apache.beam.runners.core.InMemoryTimerInternals;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.sdk.state.StateContext;
import org.apache.beam.sdk.state.State;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.WatermarkHoldState;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * runners-core's in-memory state and timers, extended to report the watermark holds they contain:
 * the {@link WatermarkHoldState}s written by {@code ReduceFnRunner}, and the output timestamps of
 * pending timers. A keyed stage's output watermark may not pass the earliest hold of any key, or
 * downstream would see the held elements as late.
 */
public final class HoldTracking {
  private HoldTracking() {}

  /**
   * {@link InMemoryStateInternals} that can report its earliest watermark hold and be snapshotted.
   * A restored instance holds the snapshot's cells encoded and writes each into its state object
   * the first time the operator asks for that cell (the tag, which carries the coders, is known
   * only then).
   */
  static final class StateInternals extends InMemoryStateInternals<Object> {
    /** Restored cells not asked for yet: namespace string key → tag id → encoded contents. */
    private final Map<String, Map<String, byte[]>> pending = new HashMap<>();
    /** Watermark holds among the pending cells. */
    private final Map<String, Instant> pendingHolds = new HashMap<>();
    /**
     * Whether a {@link WatermarkHoldState} was ever handed out: only then can a live cell hold, so
     * {@link #earliestHold} of a key without holds (a stateful ParDo's value state) costs nothing.
     */
    private boolean holdsHandedOut;

    /** A cell {@link #state} handed out, with its namespace's string key (computed once). */
    private record HandedOut(String namespaceKey, StateTag<?> tag, State state) {}

    /**
     * Every cell handed out, in creation order: what snapshots, cell counts and holds walk, instead
     * of the state table's views (which build a map per namespace each time they are read).
     * runners-core's table only ever grows, until {@link #clear}.
     */
    private final List<HandedOut> handedOut = new ArrayList<>(2);
    /** The states of {@link #handedOut} by identity, once there are more than a few to scan. */
    private @Nullable Set<State> handedOutStates;

    private static final int SCAN_AT_MOST = 8;

    StateInternals(Object key) {
      super(key);
    }

    @Override
    public void clear() {
      super.clear();
      handedOut.clear();
      handedOutStates = null;
    }

    private void recordHandedOut(StateNamespace namespace, StateTag<?> tag, State state) {
      if (handedOutStates == null) {
        for (HandedOut cell : handedOut) {
          if (cell.state() == state) {
            return;
          }
        }
      } else if (!handedOutStates.add(state)) {
        return;
      }
      handedOut.add(new HandedOut(namespace.stringKey(), tag, state));
      if (handedOutStates == null && handedOut.size() > SCAN_AT_MOST) {
        handedOutStates = Collections.newSetFromMap(new IdentityHashMap<>());
        handedOut.forEach(cell -> handedOutStates.add(cell.state()));
      }
    }

    @Override
    public <T extends State> T state(
        StateNamespace namespace, StateTag<T> address, StateContext<?> c) {
      T state = super.state(namespace, address, c);
      recordHandedOut(namespace, address, state);
      if (state instanceof WatermarkHoldState) {
        holdsHandedOut = true;
      }
      if (!pending.isEmpty()) {
        String namespaceKey = namespace.stringKey();
        Map<String, byte[]> cells = pending.get(namespaceKey);
        byte[] encoded = cells == null ? null : cells.remove(address.getId());
        if (encoded != null) {
          pendingHolds.remove(namespaceKey + address.getId());
          if (cells.isEmpty()) {
            pending.remove(namespaceKey);
          }
          try {
            StateCells.restore(address, state, encoded);
          } catch (IOException e) {
            throw new IllegalStateException(
                "Cannot restore state cell "
                    + address.getId()
                    + " of key "
                    + getKey()
                    + " from the checkpoint; did the state declaration change?",
                e);
          }
        }
      }
      return state;
    }

    /** True if no cell has contents. */
    boolean isEmpty() {
      return cellCount() == 0;
    }

    /**
     * Writes every non-empty cell: count, then per cell namespace key, tag id, whether it is a
     * watermark hold, and its contents encoded by {@link StateCells}.
     */
    void snapshot(DataOutputStream out) throws IOException {
      List<Object[]> cells = cells();
      for (Map.Entry<String, Map<String, byte[]>> ns : pending.entrySet()) {
        for (Map.Entry<String, byte[]> cell : ns.getValue().entrySet()) {
          boolean hold = pendingHolds.containsKey(ns.getKey() + cell.getKey());
          cells.add(new Object[] {ns.getKey(), cell.getKey(), hold, cell.getValue()});
        }
      }
      out.writeInt(cells.size());
      for (Object[] cell : cells) {
        out.writeUTF((String) cell[0]);
        out.writeUTF((String) cell[1]);
        out.writeBoolean((Boolean) cell[2]);
        byte[] bytes = (byte[]) cell[3];
        out.writeInt(bytes.length);
        out.write(bytes);
      }
    }

    /** Reads cells written by {@link #snapshot} into this fresh instance. */
    void restore(DataInputStream in) throws IOException {
      restore(in, in.readInt());
    }

    /** Reads {@code count} cells written by {@link #snapshot}, whose count was already read. */
    void restore(DataInputStream in, int count) throws IOException {
      for (int i = 0; i < count; i++) {
        String namespaceKey = in.readUTF();
        String tagId = in.readUTF();
        boolean hold = in.readBoolean();
        byte[] bytes = new byte[in.readInt()];
        in.readFully(bytes);
        pending.computeIfAbsent(namespaceKey, k -> new HashMap<>()).put(tagId, bytes);
        if (hold) {
          pendingHolds.put(namespaceKey + tagId, StateCells.decodeHold(bytes));
        }
      }
    }

    /**
     * Number of cells with contents, for progress reports: counted from the cells' cleared flags
     * (no encoding; this runs after every epoch) plus the restored cells not asked for yet.
     */
    int cellCount() {
      int count = 0;
      for (HandedOut cell : handedOut) {
        if (!isEmptyForTesting(cell.state())) {
          count++;
        }
      }
      for (Map<String, byte[]> cells : pending.values()) {
        count += cells.size();
      }
      return count;
    }

    private List<Object[]> cells() throws IOException {
      List<Object[]> cells = new ArrayList<>(handedOut.size());
      for (HandedOut cell : handedOut) {
        byte[] bytes = StateCells.encode(cell.tag(), cell.state());
        if (bytes != null) {
          boolean hold = cell.state() instanceof WatermarkHoldState;
          cells.add(new Object[] {cell.namespaceKey(), cell.tag().getId(), hold, bytes});
        }
      }
      return cells;
    }

    /** The earliest watermark hold in any namespace, or +∞ if none. */
    Instant earliestHold() {
      Instant earliest = BoundedWindow.TIMESTAMP_MAX_VALUE;
      if (!holdsHandedOut && pendingHolds.isEmpty()) {
        return earliest;
      }
      for (Instant held : pendingHolds.values()) {
        if (held.isBefore(earliest)) {
          earliest = held;
        }
      }
      for (HandedOut cell : handedOut) {
        if (cell.state() instanceof WatermarkHoldState hold) {
          Instant held = hold.read();
          if (held != null && held.isBefore(earliest)) {
            earliest = held;
          }
        }
      }
      return earliest;
    }
  }

  /** {@link InMemoryTimerInternals} that can report the earliest output timestamp it holds. */
  public static final class TimerInternals extends InMemoryTimerInternals {
    /** A timer's identity: setting a timer with the same one replaces it. */
    private record TimerId(StateNamespace namespace, String timerId, String timerFamilyId) {}

    private final Map<TimerId, TimerData> pending = new LinkedHashMap<>(); // snapshots in set order
    /**
     * Summaries of {@link #pending}, asked for every key every time the watermark or the clock
     * moves, so kept rather than recomputed: the earliest output timestamp, and the earliest
     * timestamp per domain. Not {@code known} after a removal, recomputed when next asked.
     */
    private boolean known = true;

    private Instant earliestOutput = BoundedWindow.TIMESTAMP_MAX_VALUE;
    private Instant earliestEventTime = BoundedWindow.TIMESTAMP_MAX_VALUE;
    private Instant earliestProcessingTime = BoundedWindow.TIMESTAMP_MAX_VALUE;
    private Instant earliestSynchronizedTime = BoundedWindow.TIMESTAMP_MAX_VALUE;

    /** Told of every timer set, so the keyed store can bound its keys' earliest timers. */
    private @Nullable Consumer<TimerData> onSet;

    /** Calls {@code onSet} with every timer set from now on (replacing an earlier listener). */
    void onTimerSet(Consumer<TimerData> onSet) {
      this.onSet = onSet;
    }

    private static TimerId id(StateNamespace namespace, String timerId, String timerFamilyId) {
      return new TimerId(namespace, timerId, timerFamilyId);
    }

    private static TimerId id(TimerData timer) {
      return id(timer.getNamespace(), timer.getTimerId(), timer.getTimerFamilyId());
    }

    /**
     * Sets or replaces a timer. Setting a timer exactly as it is already set changes nothing and
     * costs one lookup: a stateful ParDo sets its window's cleanup timer again for every element.
     */
    @Override
    public void setTimer(TimerData timerData) {
      TimerId id = id(timerData);
      TimerData replaced = pending.get(id);
      if (timerData.equals(replaced)) {
        return;
      }
      super.setTimer(timerData);
      pending.put(id, timerData);
      if (replaced != null) {
        known = false;
      } else if (known) {
        summarize(timerData);
      }
      if (onSet != null) {
        onSet.accept(timerData);
      }
    }

    private void removed(@Nullable TimerData timer) {
      if (timer != null) {
        known = false;
      }
    }

    private void summarize(TimerData timer) {
      if (timer.getOutputTimestamp().isBefore(earliestOutput)) {
        earliestOutput = timer.getOutputTimestamp();
      }
      Instant at = timer.getTimestamp();
      switch (timer.getDomain()) {
        case EVENT_TIME -> earliestEventTime = at.isBefore(earliestEventTime) ? at : earliestEventTime;
        case PROCESSING_TIME ->
            earliestProcessingTime = at.isBefore(earliestProcessingTime) ? at : earliestProcessingTime;
        case SYNCHRONIZED_PROCESSING_TIME ->
            earliestSynchronizedTime =
                at.isBefore(earliestSynchronizedTime) ? at : earliestSynchronizedTime;
      }
    }

    private void ensureKnown() {
      if (!known) {
        earliestOutput = BoundedWindow.TIMESTAMP_MAX_VALUE;
        earliestEventTime = BoundedWindow.TIMESTAMP_MAX_VALUE;
        earliestProcessingTime = BoundedWindow.TIMESTAMP_MAX_VALUE;
        earliestSynchronizedTime = BoundedWindow.TIMESTAMP_MAX_VALUE;
        for (TimerData timer : pending.values()) {
          summarize(timer);
        }
        known = true;
      }
    }

    /**
     * Whether a pending timer could fire with the input watermark at {@code watermark}, processing
     * time at {@code processingTime} and synchronized processing time at {@code synchronizedTime}:
     * one is not after its clock. Cheap, so that an engine can skip keys whose timers are all in
     * the future (a stateful ParDo's cleanup timers).
     */
    public boolean mayFire(Instant watermark, Instant processingTime, Instant synchronizedTime) {
      ensureKnown();
      return !earliestEventTime.isAfter(watermark)
          || !earliestProcessingTime.isAfter(processingTime)
          || !earliestSynchronizedTime.isAfter(synchronizedTime);
    }

    @Override
    public void deleteTimer(
        StateNamespace namespace, String timerId, String timerFamilyId, TimeDomain timeDomain) {
      super.deleteTimer(namespace, timerId, timerFamilyId, timeDomain);
      removed(pending.remove(id(namespace, timerId, timerFamilyId)));
    }

    @Override
    public void deleteTimer(StateNamespace namespace, String timerId, String timerFamilyId) {
      super.deleteTimer(namespace, timerId, timerFamilyId);
      removed(pending.remove(id(namespace, timerId, timerFamilyId)));
    }

    @Override
    public void deleteTimer(TimerData timer) {
      super.deleteTimer(timer);
      removed(pending.remove(id(timer)));
    }

    @Override
    public TimerData removeNextEventTimer() {
      return fired(super.removeNextEventTimer());
    }

    @Override
    public TimerData removeNextProcessingTimer() {
      return fired(super.removeNextProcessingTimer());
    }

    @Override
    public TimerData removeNextSynchronizedProcessingTimer() {
      return fired(super.removeNextSynchronizedProcessingTimer());
    }

    private TimerData fired(TimerData timer) {
      if (timer != null) {
        removed(pending.remove(id(timer)));
      }
      return timer;
    }

    /** The earliest timestamp of a pending event-time timer, or +∞ if none. */
    public Instant earliestEventTimer() {
      ensureKnown();
      return earliestEventTime;
    }

    /** The earliest timestamp of a pending processing-time timer (either domain), or +∞. */
    public Instant earliestProcessingTimer() {
      ensureKnown();
      return earliestProcessingTime.isBefore(earliestSynchronizedTime)
          ? earliestProcessingTime
          : earliestSynchronizedTime;
    }

    /** The earliest timestamp of a pending processing-time timer, or +∞. */
    Instant earliestProcessingOnlyTimer() {
      ensureKnown();
      return earliestProcessingTime;
    }

    /** The earliest timestamp of a pending synchronized-processing-time timer, or +∞. */
    Instant earliestSynchronizedTimer() {
      ensureKnown();
      return earliestSynchronizedTime;
    }

    /** The timers set and not yet fired or deleted. */
    public Collection<TimerData> pending() {
      return pending.values();
    }

    /** The earliest output timestamp of a pending timer, or +∞ if none. */
    public Instant earliestHold() {
      ensureKnown();
      return earliestOutput;
    }
  }
}
