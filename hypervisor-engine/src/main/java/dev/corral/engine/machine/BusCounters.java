package dev.corral.engine.machine;

import java.util.Map;
import java.util.Optional;

/**
 * A snapshot of what went wrong on a bus, for metrics and tests. Unclaimed accesses are counted per address;
 * once {@link AccessCounters#TRACKED_ADDRESSES} distinct addresses are known in a direction, further new
 * addresses only add to {@code unclaimedUntracked} (a guest scanning all of MMIO must not grow host memory).
 */
public record BusCounters(
        Map<Long, Long> unclaimedReads,
        Map<Long, Long> unclaimedWrites,
        long unclaimedUntracked,
        Map<String, Long> deviceFaults,
        Optional<DeviceFault> lastFault) {

    public long unclaimedReadsAt(long address) {
        return unclaimedReads.getOrDefault(address, 0L);
    }

    public long unclaimedWritesAt(long address) {
        return unclaimedWrites.getOrDefault(address, 0L);
    }

    public long faultsOf(String device) {
        return deviceFaults.getOrDefault(device, 0L);
    }

    public long totalFaults() {
        return deviceFaults.values().stream().mapToLong(Long::longValue).sum();
    }
}
