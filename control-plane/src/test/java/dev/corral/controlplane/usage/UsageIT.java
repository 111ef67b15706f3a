package dev.corral.controlplane.usage;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.api.CloudEvent;
import dev.corral.api.LifecycleData;
import dev.corral.api.UsageRecord;
import dev.corral.api.UsageReport;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * The usage meter on a real broker and a real PostgreSQL: a recorded stream with duplicates, an out-of-order pair,
 * a crash inside a batch, a consumer stopped halfway and another taking over, and a full replay by a second
 * group, gives exactly the ground truth, to the second.
 */
@QuarkusTest
class UsageIT {

    private static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Inject
    ObjectMapper json;

    @Inject
    UsageMeter meter;

    @Inject
    UsageStore store;

    @Inject
    UsageConfig config;

    private final String project = "usage-" + UUID.randomUUID().toString().substring(0, 8);

    @Test
    void aReplayedStreamWithDuplicatesReorderingAndACrashGivesTheGroundTruthToTheSecond() throws Exception {
        String topic = "usage-replay-" + UUID.randomUUID();
        try (var admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
            admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get();
        }
        var random = new Random(20261125);
        var histories = new LinkedHashMap<String, List<UsageEvent>>();
        for (int i = 0; i < 60; i++) {
            String uid = UUID.randomUUID().toString();
            histories.put(uid, Histories.random(random, project, uid, T0.plusSeconds(random.nextInt(86_400))));
        }
        var stream = new ArrayList<>(UsageMeterPropertyTest.deliver(random, histories, 25));
        swapOnePairOfAWorkload(stream);
        publish(topic, stream);

        String group = "usage-it-" + UUID.randomUUID();
        var first = new UsageConsumer(meter, store, bootstrapServers, topic, group, smallBatches());
        // It crashes inside its first transaction, commits five batches, then crashes in every transaction after.
        var calls = new java.util.concurrent.atomic.AtomicInteger();
        first.beforeCommit(() -> {
            int call = calls.incrementAndGet();
            if (call == 1 || call > 6) {
                throw new IllegalStateException("the meter crashed inside its transaction");
            }
        });
        first.start();
        await(() -> calls.get() >= 8, "the first consumer to commit five batches and crash again");
        first.close();
        assertThat(consumed(group, topic)).isPositive().isLessThanOrEqualTo(5 * 40);
        try (var second = new UsageConsumer(meter, store, bootstrapServers, topic, group, smallBatches())) {
            second.start();
            await(() -> consumed(group, topic) == stream.size(), "the second consumer to read the rest");
        }
        Instant to = T0.plusSeconds(3 * 86_400);
        var before = report("workload", T0, to);
        assertEqualsGroundTruth(before, histories, T0, to);

        // Another group reads everything again: every id is known, nothing changes.
        String replay = "usage-replay-" + UUID.randomUUID();
        try (var again = new UsageConsumer(meter, store, bootstrapServers, topic, replay, smallBatches())) {
            again.start();
            await(() -> consumed(replay, topic) == stream.size(), "the replaying group to read the whole stream");
        }
        assertThat(report("workload", T0, to).items()).isEqualTo(before.items());

        var perProject = report("project", T0, to).items();
        assertThat(perProject).singleElement().satisfies(p -> assertThat(p.runningSeconds())
                .isEqualTo(before.items().stream().mapToDouble(UsageRecord::runningSeconds).sum()));
    }

    @Test
    void aWorkloadWhoseEarlyEventsNeverCameIsCountedFromWhatCameAndFlagged() throws Exception {
        String gap = UUID.randomUUID().toString();
        String unseen = UUID.randomUUID().toString();
        publish("corral.lifecycle.v1", List.of(
                event(gap, 3, "running", 100), event(gap, 4, "stopped", 400),
                event(unseen, 1, "exists", 1000), event(unseen, 2, "exists", 1060), event(unseen, 3, "stopped", 1300)));
        Instant to = T0.plusSeconds(86_400);
        await(() -> report("workload", T0, to).items().size() == 2
                && report("workload", T0, to).items().stream().allMatch(r -> !r.flags().isEmpty()),
                "both workloads to be counted, flagged (the gap after " + config.gapGrace() + ")");
        var items = report("workload", T0, to).items();
        var byUid = new HashMap<String, UsageRecord>();
        items.forEach(r -> byUid.put(r.uid(), r));
        assertThat(byUid.get(gap).flags()).containsExactly(UsageFold.SEQUENCE_GAP);
        assertThat(byUid.get(gap).runningSeconds()).isEqualTo(300);
        assertThat(byUid.get(unseen).flags()).containsExactly(UsageFold.NO_START_EVENT);
        assertThat(byUid.get(unseen).runningSeconds()).isEqualTo(300);
    }

    @Test
    void usageIsAlsoCsvAndBadQuestionsAreProblems() throws Exception {
        String uid = UUID.randomUUID().toString();
        publish("corral.lifecycle.v1", List.of(event(uid, 1, "running", 0), event(uid, 2, "stopped", 7200)));
        Instant to = T0.plusSeconds(86_400);
        await(() -> report("project", T0, to).items().size() == 1, "the meter to count the workload");
        given().accept("text/csv").queryParam("project", project).queryParam("from", T0.toString()).queryParam("to", to.toString())
                .get("/v1/usage").then().statusCode(200).contentType(containsString("text/csv"))
                .body(equalTo("project,kind,name,uid,day,runningSeconds,stoppedSeconds,vcpuSeconds,memoryGiBSeconds,"
                        + "deviceSeconds.gpu,flags\r\n" + project + ",,,,,7200,79200,28800,14400,86400,\r\n"));
        given().queryParam("groupBy", "month").get("/v1/usage").then().statusCode(400)
                .contentType(containsString("application/problem+json")).body("errors.field", hasItem("groupBy"));
        given().queryParam("from", "2026-11-02T00:00:00Z").queryParam("to", "2026-11-01T00:00:00Z").get("/v1/usage").then()
                .statusCode(400).body("errors.field", hasItem("from"));
        given().queryParam("from", "yesterday").get("/v1/usage").then().statusCode(400).body("errors.field", hasItem("from"));
        given().queryParam("project", "Not_A_Project").get("/v1/usage").then().statusCode(400).body("errors.field", hasItem("project"));
    }

    @Test
    void provisionedDiskIsBilledFromTheFirstEventUntilDeletedRunningOrStopped() throws Exception {
        String uid = UUID.randomUUID().toString();
        publish("corral.lifecycle.v1", List.of(diskEvent(uid, 1, "scheduled", 0), diskEvent(uid, 2, "starting", 50),
                diskEvent(uid, 3, "running", 100), diskEvent(uid, 4, "stopped", 400), diskEvent(uid, 5, "deleted", 1000),
                diskEvent(uid, 6, "exists", 5000)));
        Instant to = T0.plusSeconds(86_400);
        await(() -> report("workload", T0, to).items().stream().anyMatch(r -> r.uid().equals(uid) && r.stoppedSeconds() == 700),
                "the meter to count the VM until it was deleted");
        var record = report("workload", T0, to).items().stream().filter(r -> r.uid().equals(uid)).findFirst().orElseThrow();
        assertThat(record.runningSeconds()).isEqualTo(300);
        assertThat(record.stoppedSeconds()).isEqualTo(700);
        // 30 GiB for all 1000 s it existed: running (300 s) and not (700 s) alike; nothing after deleted.
        assertThat(record.diskGiBSeconds()).isEqualTo(30_000);
        assertThat(record.vcpuSeconds()).isEqualTo(1200);
        given().accept("text/csv").queryParam("project", project).queryParam("groupBy", "workload").queryParam("from", T0.toString())
                .queryParam("to", to.toString()).get("/v1/usage").then().statusCode(200)
                .body(containsString(",vcpuSeconds,memoryGiBSeconds,diskGiBSeconds,deviceSeconds.gpu,flags\r\n"))
                .body(containsString("," + uid + ",,300,700,1200,600,30000,1000,\r\n"));
    }

    private UsageEvent diskEvent(String uid, long sequence, String action, long second) {
        return new UsageEvent(uid + "-" + sequence, action, uid, "VM", "vm-" + uid.substring(0, 8), project, sequence,
                T0.plusSeconds(second), 4, 2048, Map.of("gpu", 1), 30);
    }

    /** Batches of 40 records, so that the stream takes many transactions and a consumer can stop halfway. */
    private UsageConfig smallBatches() {
        return new UsageConfig() {
            public boolean enabled() {
                return true;
            }

            public String groupId() {
                return config.groupId();
            }

            public Duration gapGrace() {
                return config.gapGrace();
            }

            public int maxPollRecords() {
                return 40;
            }
        };
    }

    private CloudEvent<LifecycleData> cloudEvent(UsageEvent e) {
        var devices = new ArrayList<dev.corral.api.AssignedDevice>();
        e.devices().forEach((cls, n) -> {
            for (int i = 0; i < n; i++) {
                devices.add(new dev.corral.api.AssignedDevice("0000:3b:00." + i, cls));
            }
        });
        var data = new LifecycleData(e.kind(), e.uid(), e.name(), e.project(), "worker-1", e.sequence(), 1L, e.vcpus(),
                e.memoryMiB(), devices, null, null, null, e.diskGiB() == 0 ? null : e.diskGiB());
        return new CloudEvent<>(CloudEvent.SPEC_VERSION, e.id(), "/corral/nodes/worker-1", "corral.vm." + e.action(), e.time(),
                "vm/" + e.name(), "application/json", data);
    }

    private UsageEvent event(String uid, long sequence, String action, long second) {
        return new UsageEvent(uid + "-" + sequence, action, uid, "VM", "vm-" + uid.substring(0, 8), project, sequence,
                T0.plusSeconds(second), 4, 2048, Map.of("gpu", 1));
    }

    /**
     * Publishes {@code events} in order, each exactly once, and fails if one was not written. One request in flight:
     * a topic created a moment ago may answer its first batch NOT_LEADER_OR_FOLLOWER while later batches of the same
     * idempotent producer go through, and the retried first batch is then refused as out of sequence for good (seen
     * on a loaded 2-core machine, the stream short by a partition's first batch).
     */
    private void publish(String topic, List<UsageEvent> events) throws Exception {
        try (var producer = new KafkaProducer<String, String>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1), new StringSerializer(), new StringSerializer())) {
            var sent = new ArrayList<java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata>>();
            for (var e : events) {
                sent.add(producer.send(new ProducerRecord<>(topic, e.uid(), json.writeValueAsString(cloudEvent(e)))));
            }
            producer.flush();
            for (var f : sent) {
                f.get(60, java.util.concurrent.TimeUnit.SECONDS);
            }
        }
    }

    /** Puts one workload's second event before its first in the stream (the meter holds it until the first comes). */
    private static void swapOnePairOfAWorkload(List<UsageEvent> stream) {
        for (int i = 0; i < stream.size(); i++) {
            var e = stream.get(i);
            if (e.sequence() == 1) {
                for (int j = i + 1; j < stream.size(); j++) {
                    if (stream.get(j).uid().equals(e.uid()) && stream.get(j).sequence() == 2) {
                        stream.set(i, stream.get(j));
                        stream.set(j, e);
                        return;
                    }
                }
            }
        }
    }

    private long consumed(String group, String topic) {
        return io.quarkus.narayana.jta.QuarkusTransaction.requiringNew().call(() -> store.offsets(group, topic))
                .values().stream().mapToLong(Long::longValue).sum();
    }

    private UsageReport report(String groupBy, Instant from, Instant to) {
        return given().queryParam("project", project).queryParam("groupBy", groupBy).queryParam("from", from.toString())
                .queryParam("to", to.toString()).get("/v1/usage").then().statusCode(200).extract().as(UsageReport.class);
    }

    private static void assertEqualsGroundTruth(UsageReport report, Map<String, List<UsageEvent>> histories, Instant from, Instant to) {
        var byUid = new HashMap<String, UsageRecord>();
        report.items().forEach(r -> byUid.put(r.uid(), r));
        histories.forEach((uid, history) -> {
            var truth = GroundTruth.of(history, from, to);
            truth.assertMatches(byUid.get(uid), uid);
        });
        assertThat(byUid).hasSize(histories.size());
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(200);
        }
    }
}
