package dev.corral.examples.billing;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A reference consumer of Corral's lifecycle stream ({@code corral.lifecycle.v1}, see asyncapi.yaml) that a billing
 * team can copy. It shows the three rules a consumer needs, in about a page:
 * <ol>
 * <li><b>Deduplicate on the CloudEvent {@code id}</b>: delivery is at least once.</li>
 * <li><b>Apply a workload's events in {@code data.sequence} order</b>: hold an event whose predecessor has not
 * arrived yet; ignore one at or below the last applied.</li>
 * <li><b>Reconcile with {@code exists}</b>: a workload seen running only through {@code exists} events runs from
 * the first of them (its start was missed).</li>
 * </ol>
 * Running time is billed for vCPUs and memory; devices are billed while assigned, and a VM's disks ({@code data.diskGiB})
 * while the VM exists (both running or stopped). This example
 * keeps its state in memory and reads the topic from the start each time; a real one stores the seen ids, its
 * per-workload state and its offsets in one database transaction (as Corral's own meter does).
 *
 * <p>Run: {@code java -cp ... dev.corral.examples.billing.BillingConsumer BOOTSTRAP [TOPIC] [--until-idle]}.
 */
public final class BillingConsumer {

    /** Per project: running seconds, vCPU-seconds, GiB-seconds, disk GiB-seconds, device-seconds per class. */
    public static final class Totals {
        public double runningSeconds;
        public double vcpuSeconds;
        public double gibSeconds;
        public double diskGibSeconds;
        public final Map<String, Double> deviceSeconds = new TreeMap<>();
    }

    private static final class Workload {
        String project;
        long applied;
        String phase = "none";
        Instant since;
        double vcpus;
        double gib;
        double diskGib;
        Map<String, Integer> devices = Map.of();
        final TreeMap<Long, JsonNode> waiting = new TreeMap<>();
    }

    private final ObjectMapper json = new ObjectMapper();
    private final Set<String> seen = new HashSet<>();
    private final Map<String, Workload> workloads = new HashMap<>();
    private final Map<String, Totals> totals = new TreeMap<>();

    /** Takes one record's value; returns false when it is not a lifecycle event (a real consumer logs it). */
    public boolean accept(String value) {
        JsonNode event;
        try {
            event = json.readTree(value);
        } catch (Exception e) {
            return false;
        }
        String id = event.path("id").asText(null);
        JsonNode data = event.path("data");
        if (id == null || !data.has("uid") || !data.has("sequence") || !event.has("type") || !event.has("time")) {
            return false;
        }
        if (!seen.add(id)) {
            return true;
        }
        var w = workloads.computeIfAbsent(data.path("uid").asText(), k -> new Workload());
        w.project = data.path("project").asText();
        if (data.path("sequence").asLong() > w.applied) {
            w.waiting.put(data.path("sequence").asLong(), event);
        }
        // Sequence 1 is every workload's first event; a stream that starts later (exists only) starts where it starts.
        if (w.applied == 0 && !w.waiting.isEmpty() && w.waiting.firstKey() > 1
                && w.waiting.firstEntry().getValue().path("type").asText().endsWith(".exists")) {
            w.applied = w.waiting.firstKey() - 1;
        }
        while (!w.waiting.isEmpty() && w.waiting.firstKey() == w.applied + 1) {
            apply(w, w.waiting.pollFirstEntry().getValue());
        }
        return true;
    }

    private void apply(Workload w, JsonNode event) {
        w.applied = event.path("data").path("sequence").asLong();
        String type = event.path("type").asText();
        String action = type.substring(type.lastIndexOf('.') + 1);
        String phase = switch (action) {
            case "scheduled", "starting", "stopped", "failed" -> "allocated";
            case "running", "exists" -> "running";
            case "stopping" -> w.phase.equals("none") ? "running" : w.phase;
            case "deleted" -> "gone";
            default -> w.phase;
        };
        if (w.phase.equals("gone") || phase.equals(w.phase)) {
            return;
        }
        Instant t = Instant.parse(event.path("time").asText());
        if (w.since != null && t.isBefore(w.since)) {
            t = w.since; // a node clock that went backwards
        }
        close(w, t);
        w.phase = phase;
        w.since = t;
        JsonNode data = event.path("data");
        w.vcpus = data.path("vcpus").asDouble();
        w.gib = data.path("memoryMiB").asDouble() / 1024;
        // Absent for workloads without disks. A VM's disks never change size, so reading it at phase changes is enough.
        w.diskGib = data.path("diskGiB").asDouble(0);
        var devices = new TreeMap<String, Integer>();
        data.path("devices").forEach(d -> devices.merge(d.path("class").asText("unclassified"), 1, Integer::sum));
        w.devices = devices;
    }

    /** Adds the workload's time since its last change, up to {@code t}. */
    private void close(Workload w, Instant t) {
        if (w.since == null || !t.isAfter(w.since) || !(w.phase.equals("running") || w.phase.equals("allocated"))) {
            return;
        }
        double seconds = Duration.between(w.since, t).toMillis() / 1000.0;
        var p = totals.computeIfAbsent(w.project, k -> new Totals());
        if (w.phase.equals("running")) {
            p.runningSeconds += seconds;
            p.vcpuSeconds += w.vcpus * seconds;
            p.gibSeconds += w.gib * seconds;
        }
        w.devices.forEach((cls, n) -> p.deviceSeconds.merge(cls, n * seconds, Double::sum));
        p.diskGibSeconds += w.diskGib * seconds;
    }

    /** Totals per project with what still runs counted up to {@code now}. */
    public Map<String, Totals> totals(Instant now) {
        var copy = new BillingConsumer();
        copy.totals.putAll(snapshot());
        workloads.values().forEach(w -> copy.close(w, now));
        return copy.totals;
    }

    private Map<String, Totals> snapshot() {
        var out = new TreeMap<String, Totals>();
        totals.forEach((project, t) -> {
            var c = new Totals();
            c.runningSeconds = t.runningSeconds;
            c.vcpuSeconds = t.vcpuSeconds;
            c.gibSeconds = t.gibSeconds;
            c.diskGibSeconds = t.diskGibSeconds;
            c.deviceSeconds.putAll(t.deviceSeconds);
            out.put(project, c);
        });
        return out;
    }

    public static void print(Map<String, Totals> totals, PrintStream out) {
        out.printf("%-24s %14s %14s %14s %14s  %s%n", "PROJECT", "RUNNING-S", "VCPU-S", "GIB-S", "DISK-GIB-S", "DEVICE-S");
        totals.forEach((project, t) -> {
            var devices = new ArrayList<String>();
            t.deviceSeconds.forEach((cls, s) -> devices.add(cls + "=" + String.format("%.0f", s)));
            out.printf("%-24s %14.0f %14.0f %14.0f %14.0f  %s%n", project, t.runningSeconds, t.vcpuSeconds, t.gibSeconds,
                    t.diskGibSeconds, String.join(",", devices));
        });
    }

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: BillingConsumer BOOTSTRAP_SERVERS [TOPIC] [--until-idle]");
            System.exit(2);
        }
        String topic = args.length > 1 && !args[1].startsWith("--") ? args[1] : "corral.lifecycle.v1";
        boolean untilIdle = List.of(args).contains("--until-idle");
        var props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        // No group: this example reads the whole topic each run and keeps nothing.
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        var billing = new BillingConsumer();
        try (var consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            var partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            var end = consumer.endOffsets(partitions);
            while (true) {
                consumer.poll(Duration.ofMillis(500)).forEach(r -> billing.accept(r.value()));
                boolean caughtUp = partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p));
                if (caughtUp) {
                    print(billing.totals(Instant.now()), System.out);
                    if (untilIdle) {
                        return;
                    }
                    end.putAll(consumer.endOffsets(partitions));
                    sleep();
                }
            }
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
