package dev.corral.controlplane.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.corral.api.UsageRecord;

/**
 * Usage computed the slow, obvious way, to hold the meter to: for every whole second of the window, find the
 * phase each workload was in (the last of its events, by sequence, at or before that second) and add that
 * second's worth. Event times in the tests are whole seconds.
 */
public final class GroundTruth {

    /**
     * Per workload uid: running seconds, stopped seconds, vCPU-seconds, MiB-seconds, device-seconds per class, disk
     * GiB-seconds.
     */
    public record Totals(long running, long stopped, double vcpuSeconds, double mibSeconds, Map<String, Long> deviceSeconds,
            long diskGiBSeconds) {

        /** Asserts the meter's record for workload {@code uid} says the same, to the second. */
        public void assertMatches(UsageRecord got, String uid) {
            assertThat(got).as("usage of %s", uid).isNotNull();
            assertThat(got.runningSeconds()).as("running seconds of %s", uid).isEqualTo((double) running);
            assertThat(got.stoppedSeconds()).as("stopped seconds of %s", uid).isEqualTo((double) stopped);
            assertThat(got.vcpuSeconds()).as("vCPU-seconds of %s", uid)
                    .isCloseTo(vcpuSeconds, within(1e-6));
            assertThat(got.memoryGiBSeconds()).as("GiB-seconds of %s", uid)
                    .isCloseTo(mibSeconds / 1024, within(1e-3));
            deviceSeconds.forEach((cls, s) -> assertThat(got.deviceSeconds().get(cls))
                    .as("%s-seconds of %s", cls, uid).isEqualTo((double) s));
            assertThat(got.diskGiBSeconds()).as("disk GiB-seconds of %s", uid).isEqualTo((double) diskGiBSeconds);
        }
    }

    private GroundTruth() {
    }

    public static Totals of(List<UsageEvent> history, Instant from, Instant to) {
        var events = history.stream().sorted(Comparator.comparingLong(UsageEvent::sequence)).toList();
        long running = 0;
        long stopped = 0;
        double vcpu = 0;
        double mib = 0;
        long disk = 0;
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
                // Provisioned disk exists from the first event until deleted, running or not.
                disk += shape.diskGiB();
            }
        }
        return new Totals(running, stopped, vcpu, mib, devices, disk);
    }
}
