package dev.corral.e2e;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The usage that the lifecycle topic implies, worked out from its records alone by the consumer rules of
 * asyncapi.yaml (deduplicate on {@code id}, apply a workload's events in {@code data.sequence} order from 1 and wait
 * at a gap, the phases of rule 3, a {@code time} that steps back counts as the previous one), with none of the
 * control plane's code: the ground truth that {@code GET /v1/usage?groupBy=workload} must equal, to the
 * millisecond, whatever was redelivered or replayed.
 */
final class LifecycleUsage {

    static final String TOPIC = "corral.lifecycle.v1";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One workload's figures in a window, as the report rounds them (seconds to the millisecond). */
    record Figures(String name, double runningSeconds, double stoppedSeconds, double vcpuSeconds, double memoryGiBSeconds,
            double diskGiBSeconds) {

        static Figures of(JsonNode row) {
            return new Figures(row.path("name").asText(), row.path("runningSeconds").asDouble(), row.path("stoppedSeconds").asDouble(),
                    row.path("vcpuSeconds").asDouble(), row.path("memoryGiBSeconds").asDouble(), row.path("diskGiBSeconds").asDouble());
        }
    }

    /**
     * What the topic held when it was read.
     *
     * @param records    every record, in partition order
     * @param repeats    records whose id an earlier record already had (redeliveries)
     * @param waiting    events held back by a missing sequence (a crash between taking a number and journalling)
     */
    record Snapshot(List<ConsumerRecord<String, String>> records, int repeats, int waiting, Map<String, Figures> usage) {
    }

    private LifecycleUsage() {
    }

    /** Reads every partition of the topic from the start to its end now, and the usage it implies in {@code [from, to)}. */
    static Snapshot read(String bootstrap, Instant from, Instant to) {
        var records = new ArrayList<ConsumerRecord<String, String>>();
        try (var consumer = new KafkaConsumer<>(consumerProps(bootstrap), new StringDeserializer(), new StringDeserializer())) {
            var partitions = consumer.partitionsFor(TOPIC, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            var end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("could not read " + TOPIC + " to its end " + end + " within 30 s");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
                        records.add(r);
                    }
                });
            }
        }
        return fold(records, from, to);
    }

    /**
     * Sends records again, unchanged and to the same partition, as a node agent's journal does after a crash that came
     * between Kafka's acknowledgement and the journal's cursor: of each workload, its newest {@code stopped} or
     * {@code failed} event that later events followed (an old phase: counted again it would stop the workload's
     * running time), else, when there is none, the newest record of each partition. Returns how many.
     */
    static int redeliver(String bootstrap, List<ConsumerRecord<String, String>> records) {
        var newestStop = new HashMap<String, ConsumerRecord<String, String>>();
        var followed = new HashSet<String>();
        var last = new TreeMap<Integer, ConsumerRecord<String, String>>();
        for (var r : records) {
            last.put(r.partition(), r);
            var event = event(r);
            String type = event.path("type").asText();
            var before = newestStop.get(r.key());
            if (type.endsWith(".stopped") || type.endsWith(".failed")) {
                // a repeat of the one we have changes nothing
                if (before == null || !event(before).path("id").equals(event.path("id"))) {
                    newestStop.put(r.key(), r);
                    followed.remove(r.key());
                }
            } else if (before != null) {
                followed.add(r.key());
            }
        }
        List<ConsumerRecord<String, String>> again = newestStop.entrySet().stream().filter(e -> followed.contains(e.getKey()))
                .map(Map.Entry::getValue).toList();
        if (again.isEmpty()) {
            again = List.copyOf(last.values());
        }
        var props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        try (var producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            for (var r : again) {
                producer.send(new ProducerRecord<>(r.topic(), r.partition(), r.key(), r.value()));
            }
            producer.flush();
        }
        return again.size();
    }

    private static JsonNode event(ConsumerRecord<String, String> r) {
        try {
            return JSON.readTree(r.value());
        } catch (Exception notAnEvent) {
            return JSON.missingNode();
        }
    }

    private static Properties consumerProps(String bootstrap) {
        var props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return props;
    }

    private static Snapshot fold(List<ConsumerRecord<String, String>> records, Instant from, Instant to) {
        var seen = new HashSet<String>();
        var events = new HashMap<String, TreeMap<Long, JsonNode>>();
        int repeats = 0;
        for (var r : records) {
            JsonNode e;
            try {
                e = JSON.readTree(r.value());
            } catch (Exception notAnEvent) {
                continue;
            }
            if (!seen.add(e.path("id").asText())) {
                repeats++;
                continue;
            }
            // A repeat under another id (same sequence) is stale: the first one stands.
            events.computeIfAbsent(e.path("data").path("uid").asText(), u -> new TreeMap<>()).putIfAbsent(e.path("data").path("sequence").asLong(), e);
        }
        var usage = new TreeMap<String, Figures>();
        int waiting = 0;
        for (var entry : events.entrySet()) {
            var w = new Workload(from, to);
            long next = 1;
            for (var e : entry.getValue().entrySet()) {
                if (e.getKey() != next) {
                    waiting += entry.getValue().tailMap(e.getKey()).size();
                    break;
                }
                w.apply(e.getValue());
                next++;
            }
            w.close(to);
            if (w.runningMillis + w.stoppedMillis > 0) {
                usage.put(entry.getKey(), w.figures());
            }
        }
        return new Snapshot(List.copyOf(records), repeats, waiting, usage);
    }

    /** One workload's phase and what it used so far in the window. */
    private static final class Workload {
        private final Instant from;
        private final Instant to;
        String name;
        String phase = "none";
        Instant since;
        double vcpus;
        long memoryMiB;
        long diskGiB;
        long runningMillis;
        long stoppedMillis;
        double vcpuMillis;
        double memoryMiBMillis;
        double diskGiBMillis;

        Workload(Instant from, Instant to) {
            this.from = from;
            this.to = to;
        }

        void apply(JsonNode event) {
            if (phase.equals("gone")) {
                return;
            }
            var data = event.path("data");
            name = data.path("name").asText();
            String type = event.path("type").asText();
            String target = switch (type.substring(type.lastIndexOf('.') + 1)) {
                case "scheduled", "starting", "stopped", "failed" -> "allocated";
                case "running", "exists" -> "running";
                case "stopping" -> phase.equals("none") ? "running" : phase;
                case "deleted" -> "gone";
                default -> phase;
            };
            // PostgreSQL keeps a time to the microsecond (rounded), the report sums whole milliseconds.
            Instant t = Instant.parse(event.path("time").asText()).plusNanos(500).truncatedTo(ChronoUnit.MICROS);
            if (since != null && t.isBefore(since)) {
                t = since;
            }
            boolean sameShape = vcpus == data.path("vcpus").asDouble() && memoryMiB == data.path("memoryMiB").asLong()
                    && diskGiB == data.path("diskGiB").asLong(0);
            if (target.equals(phase) && sameShape) {
                return;
            }
            close(t);
            phase = target;
            since = t;
            vcpus = data.path("vcpus").asDouble();
            memoryMiB = data.path("memoryMiB").asLong();
            diskGiB = data.path("diskGiB").asLong(0);
        }

        /** Counts the open interval up to {@code t}, within the window. */
        void close(Instant t) {
            if (since == null || !(phase.equals("running") || phase.equals("allocated"))) {
                return;
            }
            Instant start = since.isBefore(from) ? from : since;
            Instant end = t.isAfter(to) ? to : t;
            if (!start.isBefore(end)) {
                return;
            }
            long millis = end.toEpochMilli() - start.toEpochMilli();
            if (phase.equals("running")) {
                runningMillis += millis;
                vcpuMillis += vcpus * millis;
                memoryMiBMillis += (double) memoryMiB * millis;
            } else {
                stoppedMillis += millis;
            }
            diskGiBMillis += (double) diskGiB * millis;
        }

        Figures figures() {
            return new Figures(name, seconds(runningMillis), seconds(stoppedMillis), seconds(vcpuMillis), seconds(memoryMiBMillis / 1024),
                    seconds(diskGiBMillis));
        }

        private static double seconds(double millis) {
            return Math.round(millis) / 1000.0;
        }
    }
}
