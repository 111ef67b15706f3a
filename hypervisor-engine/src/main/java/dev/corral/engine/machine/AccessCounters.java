package dev.corral.engine.machine;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/** Counts a bus's unclaimed accesses and device faults; safe to update from several vCPU threads at once. */
final class AccessCounters {

    /** Distinct addresses remembered per direction; bounds the memory a guest can make the host spend. */
    static final int TRACKED_ADDRESSES = 4096;

    private final Map<Long, LongAdder> reads = new ConcurrentHashMap<>();
    private final Map<Long, LongAdder> writes = new ConcurrentHashMap<>();
    private final LongAdder untracked = new LongAdder();
    private final Map<String, LongAdder> faults = new ConcurrentHashMap<>();
    private final AtomicReference<DeviceFault> lastFault = new AtomicReference<>();

    void unclaimed(long address, boolean write) {
        var counters = write ? writes : reads;
        var counter = counters.get(address);
        if (counter == null) {
            if (counters.size() >= TRACKED_ADDRESSES) {
                untracked.increment();
                return;
            }
            counter = counters.computeIfAbsent(address, a -> new LongAdder());
        }
        counter.increment();
    }

    void fault(DeviceFault fault) {
        faults.computeIfAbsent(fault.device(), d -> new LongAdder()).increment();
        lastFault.set(fault);
    }

    BusCounters snapshot() {
        return new BusCounters(copy(reads), copy(writes), untracked.sum(), copy(faults), Optional.ofNullable(lastFault.get()));
    }

    private static <K> Map<K, Long> copy(Map<K, LongAdder> counters) {
        var copy = new TreeMap<K, Long>();
        counters.forEach((k, v) -> copy.put(k, v.sum()));
        return java.util.Collections.unmodifiableMap(copy);
    }
}
