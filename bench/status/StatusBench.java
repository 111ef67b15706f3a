import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Status throughput, against a running control plane (bench/status/run.sh starts one). Creates WORKLOADS VMs through
 * the API, then publishes 6 lifecycle events for each (starting, running, exists, exists, stopping, stopped) at once,
 * as a busy fleet or a control plane back from an outage would find them, and waits until the status consumer's
 * group has read them all; checks every VM is Stopped at sequence 6 (the run fails otherwise). Meanwhile an API
 * client creates an instance type every 5 ms, to show what the burst costs other writers. The reference in the same
 * run: a plain consumer reading and parsing the same records.
 *
 * Usage: java -cp KAFKA_AND_JACKSON StatusBench.java http://127.0.0.1:8080 BOOTSTRAP [workloads [pid]]
 */
public class StatusBench {

    static final String TOPIC = "corral.lifecycle.v1";
    static final String GROUP = "corral-control-plane-status";
    static final String[] ACTIONS = {"starting", "running", "exists", "exists", "stopping", "stopped"};
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();
    static String api;

    public static void main(String[] args) throws Exception {
        api = args[0];
        String bootstrap = args[1];
        int workloads = args.length > 2 ? Integer.parseInt(args[2]) : 4000;
        var controlPlane = args.length > 3 ? ProcessHandle.of(Long.parseLong(args[3])) : java.util.Optional.<ProcessHandle>empty();
        int events = workloads * ACTIONS.length;
        System.out.printf("cores=%d workloads=%d events=%d%n", Runtime.getRuntime().availableProcessors(), workloads, events);

        String run = Long.toString(System.currentTimeMillis(), 36);
        byte[] kernel = ("bench kernel " + run).getBytes();
        send("POST", "/v1/blobs", "application/octet-stream", kernel, 201, 200);
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(kernel));
        send("POST", "/v1/images", "application/json", ("{\"metadata\":{\"name\":\"bench-" + run + "\"},\"spec\":{\"kernel\":"
                + "{\"sha256\":\"" + sha + "\"}}}").getBytes(), 201);
        for (int i = 0; i < 20; i++) {
            send("PUT", "/v1/nodes/bench-" + run + "-" + i, "application/json", ("{\"labels\":{\"bench\":\"" + run + "\"},"
                    + "\"accelerator\":\"kvm-hardware\",\"capacity\":{\"vcpus\":1024,\"memoryMiB\":4194304}}").getBytes(), 201, 200);
        }
        var names = new String[workloads];
        var uids = new String[workloads];
        var nodes = new String[workloads];
        long t0 = System.nanoTime();
        try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            var permits = new Semaphore(16);
            for (int i = 0; i < workloads; i++) {
                permits.acquire();
                int k = i;
                executor.submit(() -> {
                    try {
                        names[k] = "bench-" + run + "-" + k;
                        var vm = JSON.readTree(send("POST", "/v1/vms", "application/json", ("{\"metadata\":{\"name\":\"" + names[k]
                                + "\"},\"spec\":{\"image\":\"bench-" + run + "\",\"vcpus\":1,\"memoryMiB\":256,\"nodeSelector\":"
                                + "{\"bench\":\"" + run + "\"}}}").getBytes(), 201).body());
                        uids[k] = vm.path("metadata").path("uid").asText();
                        nodes[k] = vm.path("status").path("node").asText();
                    } finally {
                        permits.release();
                    }
                    return null;
                });
            }
        }
        System.out.printf("created    %,d VMs in %.1f s%n", workloads, (System.nanoTime() - t0) / 1e9);

        // Another API client writing while the burst is applied.
        var latencies = Collections.synchronizedList(new ArrayList<Long>());
        var measuring = new AtomicBoolean(true);
        var writer = Thread.ofPlatform().start(() -> {
            for (int k = 0; measuring.get(); k++) {
                try {
                    long t = System.nanoTime();
                    send("POST", "/v1/instancetypes", "application/json", ("{\"metadata\":{\"name\":\"bench-" + run + "-" + k
                            + "\"},\"spec\":{\"vcpus\":1,\"memoryMiB\":1024}}").getBytes(), 201);
                    latencies.add(System.nanoTime() - t);
                    Thread.sleep(5);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        });

        Duration cpuAtStart = controlPlane.map(StatusBench::cpu).orElse(Duration.ZERO);
        long start = System.nanoTime();
        double seconds;
        try (var admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            long before = read(admin);
            try (var producer = new KafkaProducer<String, String>(Map.of("bootstrap.servers", bootstrap, "acks", "all",
                    "enable.idempotence", true, "linger.ms", 10, "batch.size", 256 * 1024, "compression.type", "lz4"),
                    new StringSerializer(), new StringSerializer())) {
                for (int a = 0; a < ACTIONS.length; a++) {
                    for (int i = 0; i < workloads; i++) {
                        producer.send(new ProducerRecord<>(TOPIC, uids[i], event(uids[i], names[i], nodes[i], a + 1, ACTIONS[a])));
                    }
                }
                producer.flush();
            }
            while (read(admin) < before + events) {
                Thread.sleep(20);
            }
            seconds = (System.nanoTime() - start) / 1e9;
        }
        Duration cpuUsed = controlPlane.map(StatusBench::cpu).orElse(Duration.ZERO).minus(cpuAtStart);
        measuring.set(false);
        writer.join();

        int stopped = 0;
        String cont = null;
        do {
            var page = JSON.readTree(send("GET", "/v1/vms?limit=1000" + (cont == null ? "" : "&continue=" + cont), "application/json",
                    new byte[0], 200).body());
            for (var vm : page.path("items")) {
                if (vm.path("metadata").path("name").asText().startsWith("bench-" + run + "-")
                        && vm.path("status").path("phase").asText().equals("Stopped") && vm.path("status").path("eventSequence").asLong() == 6) {
                    stopped++;
                }
            }
            cont = page.path("metadata").path("continue").asText(null);
        } while (cont != null);

        long refStart = System.nanoTime();
        long parsed = 0;
        try (var c = new KafkaConsumer<>(Map.<String, Object>of("bootstrap.servers", bootstrap, "max.poll.records", 5000),
                new StringDeserializer(), new StringDeserializer())) {
            var partitions = c.partitionsFor(TOPIC).stream().map(p -> new TopicPartition(TOPIC, p.partition())).toList();
            c.assign(partitions);
            c.seekToBeginning(partitions);
            long end = c.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
            while (parsed < end) {
                for (var r : c.poll(Duration.ofMillis(500))) {
                    JSON.readTree(r.value());
                    parsed++;
                }
            }
        }
        double refRate = parsed / ((System.nanoTime() - refStart) / 1e9);

        var sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        System.out.printf("status     %,d events for %,d VMs applied in %.1f s from the first publish (%,.0f/s); %,d of %,d VMs Stopped at sequence 6%n",
                events, workloads, seconds, events / seconds, stopped, workloads);
        if (!sorted.isEmpty()) {
            System.out.printf("api writes meanwhile: %d creates, p50 %.1f ms, p99 %.1f ms%n", sorted.size(),
                    sorted.get(sorted.size() / 2) / 1e6, sorted.get(Math.min(sorted.size() - 1, (int) (sorted.size() * 0.99))) / 1e6);
        }
        if (controlPlane.isPresent()) {
            System.out.printf("cpu        control plane and PostgreSQL: %.1f s, %.0f ms per 1,000 events (the API writer's creates included)%n",
                    cpuUsed.toMillis() / 1e3, cpuUsed.toMillis() * 1000.0 / events);
        }
        System.out.printf("reference  plain consumer, read and parse only: %,.0f/s%n", refRate);
        System.out.printf("status consumer/plain-consumer = %.2f%n", events / seconds / refRate);
        if (stopped != workloads) {
            System.exit(1);
        }
    }

    static HttpResponse<String> send(String method, String path, String type, byte[] body, int... expected) throws Exception {
        var response = HTTP.send(HttpRequest.newBuilder(URI.create(api + path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + System.getenv("CORRAL_TOKEN")).header("Content-Type", type)
                .method(method, HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (java.util.Arrays.stream(expected).noneMatch(s -> s == response.statusCode())) {
            throw new IllegalStateException(method + " " + path + " -> " + response.statusCode() + ": " + response.body());
        }
        return response;
    }

    /** Records the status consumer has dealt with, by its group's committed offsets (written after each poll). */
    static long read(Admin admin) throws Exception {
        var committed = admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata().get();
        return committed.values().stream().filter(o -> o != null).mapToLong(o -> o.offset()).sum();
    }

    /** CPU time of a process and its descendants (PostgreSQL's server and its backends are the control plane's). */
    static Duration cpu(ProcessHandle p) {
        return java.util.stream.Stream.concat(java.util.stream.Stream.of(p), p.descendants())
                .map(h -> h.info().totalCpuDuration().orElse(Duration.ZERO)).reduce(Duration.ZERO, Duration::plus);
    }

    static String event(String uid, String name, String node, long sequence, String action) {
        return "{\"specversion\":\"1.0\",\"id\":\"" + uid + "-" + sequence + "\",\"source\":\"/corral/nodes/" + node + "\",\"type\":\"corral.vm."
                + action + "\",\"time\":\"" + Instant.now() + "\",\"subject\":\"vm/" + name + "\",\"datacontenttype\":\"application/json\",\"data\":{"
                + "\"kind\":\"VM\",\"uid\":\"" + uid + "\",\"name\":\"" + name + "\",\"project\":\"default\",\"node\":\"" + node
                + "\",\"sequence\":" + sequence + ",\"generation\":1,\"vcpus\":1,\"memoryMiB\":256,\"devices\":[]}}";
    }
}
