package dev.corral.controlplane.usage;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Usage computed the slow, obvious way, to hold the meter to: for every whole second of the window, find the
 * phase each workload was in (the last of its events, by sequence, at or before that second) and add that
 * second's worth. Event times in the tests are whole seconds.
 */
public final class GroundTruth {

    /** Per workload uid: running seconds, stopped seconds, vCPU-seconds, MiB-seconds, device-seconds per class. */
    public record Totals(long running, long stopped, double vcpuSeconds, double mibSeconds, Map<String, Long> deviceSeconds) {
    }

    private GroundTruth() {
    }

    public static Totals of(List<UsageEvent> history, Instant from, Instant to) {
        var events = history.stream().sorted(Comparator.comparingLong(UsageEvent::sequence)).toList();
        long running = 0;
        long stopped = 0;
        double vcpu = 0;
        double mib = 0;
        var devices = new TreeMap<String, Long>();
        for (long s = from.getEpochSecond(); s < to.getEpochSecond(); s++) {
            String phase = "None";
            UsageEvent shape = null;
            for (var e : events) {
                if (e.time().getEpochSecond() > s) {
                    break;
                }
                if (phase.equals("Gone")) {
                    break;
                }
                phase = switch (e.action()) {
                    case "scheduled", "starting", "stopped", "failed" -> "Allocated";
                    case "running", "exists" -> "Running";
                    case "stopping" -> phase.equals("None") ? "Running" : phase;
                    case "deleted" -> "Gone";
                    default -> phase;
                };
                shape = e;
            }
            if (phase.equals("Running")) {
                running++;
                vcpu += shape.vcpus();
                mib += shape.memoryMiB();
            } else if (phase.equals("Allocated")) {
                stopped++;
            }
            if (phase.equals("Running") || phase.equals("Allocated")) {
                shape.devices().forEach((cls, n) -> devices.merge(cls, (long) n, Long::sum));
            }
        }
        return new Totals(running, stopped, vcpu, mib, devices);
    }
}
