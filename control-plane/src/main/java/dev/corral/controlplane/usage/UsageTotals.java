package dev.corral.controlplane.usage;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

import dev.corral.api.UsageRecord;

/**
 * Sums intervals into usage records over a window, per workload, project or UTC day. Pure: the report of the API
 * and of the tests' ground truth go through the same arithmetic, in milliseconds, so sums do not drift.
 */
public final class UsageTotals {

    public enum GroupBy { workload, project, day }

    private UsageTotals() {
    }

    public static List<UsageRecord> of(List<Interval> intervals, Instant from, Instant to, GroupBy groupBy) {
        var sum = new Sum(from, to, groupBy);
        intervals.forEach(sum);
        return sum.records();
    }

    /**
     * The sums being made, interval by interval as they are read: what it holds grows with the groups (workloads,
     * projects or days), not with the intervals, which a month of a busy cloud has by the million.
     */
    public static final class Sum implements Consumer<Interval> {
        private final Instant from;
        private final Instant to;
        private final GroupBy groupBy;
        private final TreeMap<String, Acc> groups = new TreeMap<>();

        public Sum(Instant from, Instant to, GroupBy groupBy) {
            this.from = from;
            this.to = to;
            this.groupBy = groupBy;
        }

        @Override
        public void accept(Interval v) {
            Instant start = v.start().isBefore(from) ? from : v.start();
            Instant end = v.end().isAfter(to) ? to : v.end();
            while (start.isBefore(end)) {
                Instant pieceEnd = end;
                LocalDate day = null;
                if (groupBy == GroupBy.day) {
                    day = LocalDate.ofInstant(start, ZoneOffset.UTC);
                    Instant midnight = day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
                    if (midnight.isBefore(end)) {
                        pieceEnd = midnight;
                    }
                }
                var key = switch (groupBy) {
                    case workload -> v.project() + "\0" + v.kind() + "\0" + v.name() + "\0" + v.uid();
                    case project -> v.project();
                    case day -> day + "\0" + v.project();
                };
                var acc = groups.computeIfAbsent(key, k -> new Acc());
                acc.add(v, pieceEnd.toEpochMilli() - start.toEpochMilli(), groupBy, day);
                start = pieceEnd;
            }
        }

        public List<UsageRecord> records() {
            var records = new ArrayList<UsageRecord>(groups.size());
            groups.values().forEach(a -> records.add(a.record()));
            records.sort(Comparator.comparing((UsageRecord r) -> r.day() == null ? LocalDate.MIN : r.day())
                    .thenComparing(UsageRecord::project).thenComparing(r -> r.name() == null ? "" : r.name()));
            return records;
        }
    }

    private static final class Acc {
        String project;
        String kind;
        String name;
        String uid;
        LocalDate day;
        long runningMillis;
        long stoppedMillis;
        double vcpuMillis;
        double memoryMiBMillis;
        double diskGiBMillis;
        final Map<String, Long> deviceMillis = new TreeMap<>();
        final TreeSet<String> flags = new TreeSet<>();

        void add(Interval v, long millis, GroupBy groupBy, LocalDate day) {
            project = v.project();
            this.day = day;
            if (groupBy == GroupBy.workload) {
                kind = v.kind();
                name = v.name();
                uid = v.uid();
            }
            if (v.phase() == Phase.Running) {
                runningMillis += millis;
                vcpuMillis += v.vcpus() * millis;
                memoryMiBMillis += (double) v.memoryMiB() * millis;
            } else {
                stoppedMillis += millis;
            }
            v.devices().forEach((cls, n) -> deviceMillis.merge(cls, n * millis, Long::sum));
            // Provisioned disk is held whether the VM runs or not.
            diskGiBMillis += (double) v.diskGiB() * millis;
            if (v.flag() != null) {
                flags.add(v.flag());
            }
        }

        UsageRecord record() {
            var devices = new TreeMap<String, Double>();
            deviceMillis.forEach((cls, ms) -> devices.put(cls, seconds(ms)));
            return new UsageRecord(project, kind, name, uid, day, seconds(runningMillis), seconds(stoppedMillis),
                    seconds(vcpuMillis), seconds(memoryMiBMillis / 1024), seconds(diskGiBMillis), devices, List.copyOf(flags));
        }

        /** Milliseconds to seconds, to the millisecond. */
        private static double seconds(double millis) {
            return Math.round(millis) / 1000.0;
        }
    }
}
