import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Usage meter throughput, against a running control plane (bench/usage/run.sh starts one). Publishes WORKLOADS
 * lifecycles of 8 events each (scheduled, starting, running, exists, exists, stopping, stopped, deleted; every
 * workload runs exactly one hour with 2 vCPUs), waits until the meter's consumer group has read them all, checks
 * the usage API agrees to the second, and reads the same records with a plain consumer as the in-run reference.
 * Then it does the same once more ("warm"), on the control plane that has now compiled what the first round ran.
 *
 * Usage: java -cp KAFKA_AND_JACKSON UsageBench.java http://127.0.0.1:8080 BOOTSTRAP [workloads [control-plane.log [pid]]]
 * With the control plane's log (its meter's profile at DEBUG), it also prints where the meter's time went; with its
 * process id, the CPU time the control plane and its children (the broker is in it, PostgreSQL its child) spent
 * from the first publish until the meter was done: a figure that, unlike the rates, hardly depends on what else the
 * machine runs.
 */
public class UsageBench {

    static final String TOPIC = "corral.lifecycle.v1";
    static final String[] ACTIONS = {"scheduled", "starting", "running", "exists", "exists", "stopping", "stopped", "deleted"};
    static final int[] AT = {0, 30, 60, 1860, 3600, 3640, 3660, 3700};

    /** What one round measured. */
    record Round(double meterRate, double drainRate, Duration cpu, Duration clientCpu, boolean exact) {
    }

    public static void main(String[] args) throws Exception {
        String api = args[0];
        String bootstrap = args[1];
        int workloads = args.length > 2 ? Integer.parseInt(args[2]) : 20_000;
        int events = workloads * ACTIONS.length;
        System.out.printf("cores=%d workloads=%d events=%d%n", Runtime.getRuntime().availableProcessors(), workloads, events);
        var controlPlane = args.length > 4 ? ProcessHandle.of(Long.parseLong(args[4])) : java.util.Optional.<ProcessHandle>empty();

        var first = round("", api, bootstrap, workloads, controlPlane);

        long refStart = System.nanoTime();
        long read = 0;
        var json = new ObjectMapper();
        try (var c = new KafkaConsumer<>(Map.<String, Object>of("bootstrap.servers", bootstrap, "max.poll.records", 5000),
                new StringDeserializer(), new StringDeserializer())) {
            var partitions = c.partitionsFor(TOPIC).stream().map(p -> new TopicPartition(TOPIC, p.partition())).toList();
            c.assign(partitions);
            c.seekToBeginning(partitions);
            long end = c.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
            while (read < end) {
                for (var r : c.poll(Duration.ofMillis(500))) {
                    json.readTree(r.value());
                    read++;
                }
            }
        }
        double refRate = read / ((System.nanoTime() - refStart) / 1e9);
        System.out.printf("reference  plain consumer, read and parse only: %,.0f/s%n", refRate);
        if (args.length > 3) {
            Thread.sleep(1_500); // the meter reports its profile every second
            System.out.println(profile(java.nio.file.Path.of(args[3])));
        }
        if (controlPlane.isPresent()) {
            System.out.printf("cpu        control plane and PostgreSQL: %.1f s from the first publish until metered, %.0f ms per 1,000 events%n",
                    first.cpu().toMillis() / 1e3, first.cpu().toMillis() * 1000.0 / events);
        }
        System.out.printf("client cpu the load generator (this JVM, producing): %.1f s from the first publish until metered, %.0f ms per 1,000 events%n",
                first.clientCpu().toMillis() / 1e3, first.clientCpu().toMillis() * 1000.0 / events);
        // The same again on the control plane that has now run it once: what is left when the JIT has compiled the
        // broker, the meter and the drivers (a control plane that has been up a while), beside the figure above.
        var warm = round("warm ", api, bootstrap, workloads, controlPlane);
        if (controlPlane.isPresent()) {
            System.out.printf("warm cpu   control plane and PostgreSQL: %.1f s, %.0f ms per 1,000 events%n", warm.cpu().toMillis() / 1e3,
                    warm.cpu().toMillis() * 1000.0 / events);
        }
        System.out.printf("warm client cpu the load generator: %.1f s, %.0f ms per 1,000 events%n", warm.clientCpu().toMillis() / 1e3,
                warm.clientCpu().toMillis() * 1000.0 / events);
        System.out.printf("goal       40,000/s from the first publish (issue 19): %s; on the backlog: %s%n",
                first.meterRate() >= 40_000 ? "met" : "not met", first.drainRate() >= 40_000 ? "met" : "not met");
        System.out.printf("usage meter(backlog)/plain-consumer = %.2f%n", first.drainRate() / refRate);
        if (!first.exact() || !warm.exact()) {
            System.exit(1);
        }
    }

    /** Publishes one lifecycle per workload, for a project of its own, and measures the meter until all are metered. */
    static Round round(String label, String api, String bootstrap, int workloads, java.util.Optional<ProcessHandle> controlPlane)
            throws Exception {
        int events = workloads * ACTIONS.length;
        String project = "bench-" + UUID.randomUUID().toString().substring(0, 8);
        Instant t0 = Instant.parse("2026-11-01T00:00:00Z");
        Duration cpuAtStart = controlPlane.map(UsageBench::cpu).orElse(Duration.ZERO);
        long clientCpuAtStart = clientCpuNanos();
        long start = System.nanoTime();
        try (var producer = new KafkaProducer<String, String>(Map.of("bootstrap.servers", bootstrap, "acks", "all",
                "enable.idempotence", true, "linger.ms", 10, "batch.size", 256 * 1024, "compression.type", "lz4"),
                new StringSerializer(), new StringSerializer())) {
            for (int w = 0; w < workloads; w++) {
                String uid = UUID.randomUUID().toString();
                for (int i = 0; i < ACTIONS.length; i++) {
                    producer.send(new ProducerRecord<>(TOPIC, uid, event(uid, project, i + 1, ACTIONS[i], t0.plusSeconds(w % 86_400 + AT[i]))));
                }
            }
            producer.flush();
        }
        double produceSeconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("%-10s %,d events in %.1f s (%,.0f/s)%n", label + "produced", events, produceSeconds, events / produceSeconds);

        long producedAt = System.nanoTime();
        long doneWhenProduced;
        long meterDone = 0;
        long statusDone = 0;
        Duration cpuUsed = Duration.ZERO;
        long clientCpuUsed = 0;
        try (var admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            var partitions = admin.describeTopics(List.of(TOPIC)).allTopicNames().get().get(TOPIC).partitions().stream()
                    .map(p -> new TopicPartition(TOPIC, p.partition())).toList();
            long endTotal;
            try (var c = new KafkaConsumer<>(Map.<String, Object>of("bootstrap.servers", bootstrap), new StringDeserializer(), new StringDeserializer())) {
                endTotal = c.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
            }
            long base = endTotal - events; // what the topic held before this round
            doneWhenProduced = metered(admin) - base;
            // The status consumer reads the same records in a group of its own (these events name no stored workload,
            // so for it each is a lookup that finds nothing): when it had read them all, beside the meter.
            while (meterDone == 0 || statusDone == 0) {
                if (meterDone == 0 && metered(admin) >= endTotal) {
                    meterDone = System.nanoTime();
                    cpuUsed = controlPlane.map(UsageBench::cpu).orElse(Duration.ZERO).minus(cpuAtStart);
                    clientCpuUsed = clientCpuNanos() - clientCpuAtStart;
                }
                if (statusDone == 0 && read(admin, "corral-control-plane-status") >= endTotal) {
                    statusDone = System.nanoTime();
                }
                if (meterDone == 0 || statusDone == 0) {
                    Thread.sleep(100);
                }
            }
        }
        double meterSeconds = (meterDone - start) / 1e9;
        double statusSeconds = (statusDone - start) / 1e9;
        double meterRate = events / meterSeconds;
        double drainSeconds = (meterDone - producedAt) / 1e9;
        double drainRate = (events - doneWhenProduced) / drainSeconds;
        System.out.printf("%-10s %,d events in %.1f s from the first publish (%,.0f/s)%n", label + "metered", events, meterSeconds, meterRate);
        System.out.printf("%-10s %,d events left when the producer finished, drained in %.1f s (%,.0f/s, the producer no longer competing)%n",
                label + "backlog", events - doneWhenProduced, drainSeconds, drainRate);
        System.out.printf("%-10s %,d events through the status consumer in %.1f s from the first publish (%,.0f/s)%n",
                label + "status", events, statusSeconds, events / statusSeconds);

        var report = new ObjectMapper().readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(api
                + "/v1/usage?groupBy=project&project=" + project + "&from=2026-11-01T00:00:00Z&to=2026-11-03T00:00:00Z"))
                .header("Authorization", "Bearer " + System.getenv("CORRAL_TOKEN")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        double running = report.path("items").path(0).path("runningSeconds").asDouble();
        double expected = workloads * (double) (AT[6] - AT[2]);
        System.out.printf("%-10s runningSeconds=%.0f expected=%.0f %s%n", label + "usage", running, expected,
                running == expected ? "(exact)" : "(MISMATCH)");
        return new Round(meterRate, drainRate, cpuUsed, Duration.ofNanos(clientCpuUsed), running == expected);
    }

    /** The sums of the meter's profile lines ("usage meter profile: N records in B batches; poll=Xms parse=Yms ..."). */
    static String profile(java.nio.file.Path log) throws java.io.IOException {
        var sums = new java.util.LinkedHashMap<String, Long>();
        long records = 0;
        long batches = 0;
        var line = java.util.regex.Pattern.compile("usage meter profile: (\\d+) records in (\\d+) batches;(.*)");
        var step = java.util.regex.Pattern.compile(" (\\w+)=(\\d+)ms");
        for (var l : java.nio.file.Files.readAllLines(log)) {
            var m = line.matcher(l);
            if (m.find()) {
                records += Long.parseLong(m.group(1));
                batches += Long.parseLong(m.group(2));
                var s = step.matcher(m.group(3));
                while (s.find()) {
                    sums.merge(s.group(1), Long.parseLong(s.group(2)), Long::sum);
                }
            }
        }
        var out = new StringBuilder(String.format("profile    %,d records in %,d batches, ms per step (threads overlap):", records, batches));
        sums.forEach((k, v) -> out.append(' ').append(k).append('=').append(v));
        return out.toString();
    }

    /** This JVM's own CPU time: the load generator's share of the two cores. */
    static long clientCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** CPU time of a process and its descendants (PostgreSQL's server and its backends are the control plane's). */
    static Duration cpu(ProcessHandle p) {
        return java.util.stream.Stream.concat(java.util.stream.Stream.of(p), p.descendants())
                .map(h -> h.info().totalCpuDuration().orElse(Duration.ZERO)).reduce(Duration.ZERO, Duration::plus);
    }

    /** Records the meter has read, by its consumer group's committed offsets (written after each batch). */
    static long metered(Admin admin) throws Exception {
        return read(admin, "corral-usage-meter");
    }

    /** Records a consumer group has dealt with, by its committed offsets. */
    static long read(Admin admin, String group) throws Exception {
        var committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        return committed.values().stream().filter(o -> o != null).mapToLong(o -> o.offset()).sum();
    }

    static String event(String uid, String project, long sequence, String action, Instant time) {
        return "{\"specversion\":\"1.0\",\"id\":\"" + uid + "-" + sequence + "\",\"source\":\"/corral/nodes/bench\",\"type\":\"corral.vm."
                + action + "\",\"time\":\"" + time + "\",\"subject\":\"vm/w\",\"datacontenttype\":\"application/json\",\"data\":{"
                + "\"kind\":\"VM\",\"uid\":\"" + uid + "\",\"name\":\"w-" + uid.substring(0, 8) + "\",\"project\":\"" + project
                + "\",\"node\":\"bench\",\"sequence\":" + sequence + ",\"vcpus\":2,\"memoryMiB\":2048,\"devices\":[]}}";
    }
}
