package dev.corral.controlplane;

import static dev.corral.controlplane.Api.awaitVm;
import static dev.corral.controlplane.Api.createVm;
import static dev.corral.controlplane.Api.image;
import static dev.corral.controlplane.Api.registerNode;
import static dev.corral.controlplane.Api.unique;
import static dev.corral.controlplane.Api.vmBody;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.api.CloudEvent;
import dev.corral.api.LifecycleData;
import dev.corral.controlplane.lifecycle.LifecycleConsumer;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * Lifecycle events published to the real broker, as a node agent publishes them, change the VM's status; repeats
 * and reordering do not.
 */
@QuarkusTest
class LifecycleIT {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Inject
    ObjectMapper json;

    @Inject
    LifecycleConsumer consumer;

    @Inject
    javax.sql.DataSource dataSource;

    private final String pool = unique("pool");

    private void publish(String key, String value) throws Exception {
        try (var producer = new KafkaProducer<String, String>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
                new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>("corral.lifecycle.v1", key, value)).get();
        }
    }

    private String event(String type, String uid, String name, String node, long sequence, String reason) throws Exception {
        return event(type, uid, name, node, sequence, reason, null);
    }

    private String event(String type, String uid, String name, String node, long sequence, String reason, String accelerator)
            throws Exception {
        var data = new LifecycleData("VM", uid, name, "default", node, sequence, 1L, 1, 256, List.of(), reason, null, accelerator);
        return json.writeValueAsString(new CloudEvent<>(CloudEvent.SPEC_VERSION, uid + "-" + sequence, "/corral/nodes/" + node,
                type, Instant.now(), "vm/" + name, "application/json", data));
    }

    @Test
    void eventsMoveTheVmThroughItsPhasesAndStaleOnesChangeNothing() throws Exception {
        String node = unique("node");
        registerNode(node, pool, 4, 4096, "kvm-hardware", null).then().statusCode(201);
        String name = unique("vm");
        String uid = createVm(vmBody(name, image(), 1, 256, pool, null)).then().statusCode(201)
                .body("status.node", equalTo(node)).extract().path("metadata.uid");

        publish(uid, event("corral.vm.starting", uid, name, node, 1, null));
        publish(uid, event("corral.vm.running", uid, name, node, 2, "GuestBooted", "kvm"));
        var running = awaitVm(name, Duration.ofSeconds(30), v -> "Running".equals(v.getString("status.phase")));
        assertThat(running.getLong("status.eventSequence")).isEqualTo(2);
        assertThat(running.getString("status.accelerator")).as("the running event says what runs it").isEqualTo("kvm");
        assertThat(running.getLong("status.observedGeneration")).isEqualTo(1);
        assertThat(running.getString("status.conditions.find { it.type == 'Running' }.status")).isEqualTo("True");

        // A redelivery of an old event, then events out of order: 4 (stopped) before 3 (stopping).
        publish(uid, event("corral.vm.starting", uid, name, node, 1, null));
        publish(uid, "this is not a CloudEvent");
        publish(uid, event("corral.vm.stopped", uid, name, node, 4, "GuestPoweredOff"));
        publish(uid, event("corral.vm.stopping", uid, name, node, 3, null));
        var stopped = awaitVm(name, Duration.ofSeconds(30), v -> v.getLong("status.eventSequence") == 4);
        Thread.sleep(1500);
        stopped = Api.getVm(name);
        assertThat(stopped.getString("status.phase")).isEqualTo("Stopped");
        assertThat(stopped.getLong("status.eventSequence")).isEqualTo(4);
        assertThat(stopped.getString("status.accelerator")).as("what last ran it").isEqualTo("kvm");
        given().queryParam("involvedObject", "vm/" + name).get("/v1/events").then().statusCode(200)
                .body("items.find { it.reason == 'GuestBooted' }.type", equalTo("Normal"))
                .body("items.find { it.reason == 'GuestPoweredOff' }.type", equalTo("Normal"));
        assertThat(consumer.applied()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void eventsPublishedTogetherAreFoldedInOrderForEachVm() throws Exception {
        // Published at once, as a busy node's journal sends them: they reach the consumer in one poll or a few, and each
        // VM's events are applied in order onto the status the ones before left, within one transaction per poll.
        String node = unique("node");
        registerNode(node, pool, 8, 8192, "kvm-hardware", null).then().statusCode(201);
        var names = new java.util.ArrayList<String>();
        var uids = new java.util.ArrayList<String>();
        for (int i = 0; i < 5; i++) {
            String name = unique("batch");
            names.add(name);
            uids.add(createVm(vmBody(name, image(), 1, 256, pool, i == 4 ? "\"restartPolicy\": \"Always\"" : null))
                    .then().statusCode(201).extract().path("metadata.uid"));
        }
        long appliedBefore = consumer.applied();
        try (var producer = new KafkaProducer<String, String>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.LINGER_MS_CONFIG, 50),
                new StringSerializer(), new StringSerializer())) {
            String topic = "corral.lifecycle.v1";
            for (int i = 0; i < 5; i++) {
                String uid = uids.get(i);
                String name = names.get(i);
                producer.send(new ProducerRecord<>(topic, uid, event("corral.vm.starting", uid, name, node, 1, null)));
                producer.send(new ProducerRecord<>(topic, uid, event("corral.vm.running", uid, name, node, 2, "GuestBooted")));
                producer.send(new ProducerRecord<>(topic, uid, event("corral.vm.starting", uid, name, node, 1, null)));
                if (i < 3) {
                    producer.send(new ProducerRecord<>(topic, uid, event("corral.vm.stopped", uid, name, node, 3, "GuestPoweredOff")));
                } else if (i == 4) {
                    producer.send(new ProducerRecord<>(topic, uid, event("corral.vm.failed", uid, name, node, 3, "GuestCrashed")));
                }
            }
            String ghost = java.util.UUID.randomUUID().toString();
            producer.send(new ProducerRecord<>(topic, ghost, event("corral.vm.running", ghost, "ghost", node, 1, null)));
            producer.send(new ProducerRecord<>(topic, "junk", "{\"specversion\":"));
            producer.send(new ProducerRecord<>(topic, uids.get(0), event("corral.vm.running", uids.get(0), "not-its-name", node, 9, null)));
            producer.flush();
        }
        for (int i = 0; i < 5; i++) {
            String name = names.get(i);
            long last = i == 3 ? 2 : 3;
            var vm = awaitVm(name, Duration.ofSeconds(30), v -> String.valueOf(last).equals(v.getString("status.eventSequence")));
            var reasons = given().queryParam("involvedObject", "vm/" + name).get("/v1/events").then().extract()
                    .<String>jsonPath().getList("items.reason", String.class);
            if (i < 3) {
                assertThat(vm.getString("status.phase")).isEqualTo("Stopped");
                assertThat(reasons).as("each transition recorded, in order")
                        .containsSubsequence("Starting", "GuestBooted", "GuestPoweredOff");
            } else if (i == 3) {
                assertThat(vm.getString("status.phase")).isEqualTo("Running");
                assertThat(reasons).containsSubsequence("Starting", "GuestBooted").doesNotContain("GuestPoweredOff");
            } else {
                assertThat(vm.getString("status.phase")).isEqualTo("Failed");
                assertThat(vm.getInt("status.restart.count")).as("the crash after the boot plans a restart").isEqualTo(1);
                assertThat(reasons).containsSubsequence("Starting", "GuestBooted", "GuestCrashed", "BackOff");
            }
            assertThat(reasons).as("the redelivered starting event is stale").containsOnlyOnce("Starting");
        }
        // 5 starting, 5 running, 3 stopped and 1 failed; not the stale repeats, the ghost, the junk or the wrong name.
        assertThat(consumer.applied() - appliedBefore).isEqualTo(14);
        assertThat(Api.getVm(names.get(0)).getString("status.phase")).as("an event naming another VM's uid").isEqualTo("Stopped");
    }

    @Test
    void aPollThatCannotBeWrittenIsAppliedWholeOnceTheDatabaseTakesItAgain() throws Exception {
        String node = unique("node");
        registerNode(node, pool, 4, 4096, "kvm-hardware", null).then().statusCode(201);
        String name = unique("away");
        String uid = createVm(vmBody(name, image(), 1, 256, pool, null)).then().statusCode(201).extract().path("metadata.uid");
        publish(uid, event("corral.vm.running", uid, name, node, 1, "GuestBooted"));
        awaitVm(name, Duration.ofSeconds(30), v -> "Running".equals(v.getString("status.phase")));

        // The events table is away: the poll's transaction fails, rolls back, and the poll is read again and again.
        try (var c = dataSource.getConnection(); var s = c.createStatement()) {
            s.execute("ALTER TABLE event RENAME TO event_away");
        }
        try {
            publish(uid, event("corral.vm.stopping", uid, name, node, 2, null));
            publish(uid, event("corral.vm.stopped", uid, name, node, 3, "GuestPoweredOff"));
            Thread.sleep(2_500);
            var meanwhile = Api.getVm(name);
            assertThat(meanwhile.getString("status.phase")).as("nothing of the failed poll is written").isEqualTo("Running");
            assertThat(meanwhile.getLong("status.eventSequence")).isEqualTo(1);
        } finally {
            try (var c = dataSource.getConnection(); var s = c.createStatement()) {
                s.execute("ALTER TABLE event_away RENAME TO event");
            }
        }
        var stopped = awaitVm(name, Duration.ofSeconds(30), v -> "Stopped".equals(v.getString("status.phase")));
        assertThat(stopped.getLong("status.eventSequence")).isEqualTo(3);
        var reasons = given().queryParam("involvedObject", "vm/" + name).get("/v1/events").then().extract()
                .<String>jsonPath().getList("items.reason", String.class);
        assertThat(reasons).as("each transition once, after the retries").containsSubsequence("GuestBooted", "Stopping", "GuestPoweredOff")
                .containsOnlyOnce("Stopping", "GuestPoweredOff");
    }

    @Test
    void aVmThatStopsAndStartsOnItsNodeKeepsItsAddressAndMac() throws Exception {
        String node = unique("node");
        String subnet = Api.uniqueSubnet();
        Api.registerNodeWithSubnet(node, pool, subnet).then().statusCode(201);
        String name = unique("vm");
        String uid = createVm(vmBody(name, image(), 1, 256, pool, "\"network\": \"attached\"")).then().statusCode(201)
                .body("status.node", equalTo(node)).extract().path("metadata.uid");
        var placed = Api.getVm(name);
        publish(uid, event("corral.vm.running", uid, name, node, 1, "Started"));
        publish(uid, event("corral.vm.stopped", uid, name, node, 2, "GuestPoweredOff"));
        publish(uid, event("corral.vm.starting", uid, name, node, 3, null));
        publish(uid, event("corral.vm.running", uid, name, node, 4, "Started"));
        var again = awaitVm(name, Duration.ofSeconds(30), v -> v.getLong("status.eventSequence") == 4);
        assertThat(again.getString("status.phase")).isEqualTo("Running");
        assertThat(again.getString("status.network.ip")).isEqualTo(placed.getString("status.network.ip")).startsWith(
                subnet.substring(0, subnet.lastIndexOf('.')));
        assertThat(again.getString("status.network.mac")).isEqualTo(placed.getString("status.network.mac"));
    }

    @Test
    void eventsForWorkloadsThatNoLongerExistAreSkipped() throws Exception {
        String ghost = java.util.UUID.randomUUID().toString();
        publish(ghost, event("corral.vm.running", ghost, "ghost", "nowhere", 1, null));
        String name = unique("after");
        String node = unique("node");
        registerNode(node, pool, 4, 4096, "kvm-hardware", null).then().statusCode(201);
        String uid = createVm(vmBody(name, image(), 1, 256, pool, null)).then().statusCode(201).extract().path("metadata.uid");
        publish(uid, event("corral.vm.failed", uid, name, node, 1, "EmulationFailure"));
        var failed = awaitVm(name, Duration.ofSeconds(30), v -> "Failed".equals(v.getString("status.phase")));
        assertThat(failed.getString("status.conditions.find { it.type == 'Running' }.reason")).isEqualTo("EmulationFailure");
        given().queryParam("involvedObject", "vm/" + name).get("/v1/events").then()
                .body("items.find { it.reason == 'EmulationFailure' }.type", equalTo("Warning"));
    }

    @Test
    void aVmThatCrashesIsRestartedUnderItsPolicyWithBackoffAndACleanPowerOffIsNot() throws Exception {
        String node = unique("node");
        registerNode(node, pool, 4, 4096, "kvm-hardware", null).then().statusCode(201);
        String crashing = unique("crashing");
        String uid = createVm(vmBody(crashing, image(), 1, 256, pool, "\"restartPolicy\": \"Always\"")).then().statusCode(201)
                .extract().path("metadata.uid");
        publish(uid, event("corral.vm.running", uid, crashing, node, 1, "GuestBooted"));
        publish(uid, event("corral.vm.failed", uid, crashing, node, 2, "GuestCrashed"));
        var planned = awaitVm(crashing, Duration.ofSeconds(30), v -> "GuestCrashed".equals(v.getString("status.restart.reason")));
        assertThat(planned.getInt("status.restart.count")).isEqualTo(1);
        assertThat(planned.getString("status.restart.reason")).isEqualTo("GuestCrashed");
        // Due after the (test) first delay of 1 s: the control plane asks the node to restart it.
        var restarted = awaitVm(crashing, Duration.ofSeconds(30), v -> v.getString("spec.restartRequestedAt") != null);
        assertThat(restarted.getLong("metadata.generation")).isEqualTo(2);
        assertThat(restarted.getString("status.restart.nextAt")).isNull();
        given().queryParam("involvedObject", "vm/" + crashing).get("/v1/events").then()
                .body("items.find { it.reason == 'BackOff' }.message",
                        equalTo("Restarting in 1 s after GuestCrashed (restart 1, restartPolicy Always)."))
                .body("items.find { it.reason == 'Restarting' }.message",
                        equalTo("Restart 1 after GuestCrashed (restartPolicy Always)."));
        // It crashes again at once: the next restart waits twice as long.
        publish(uid, event("corral.vm.running", uid, crashing, node, 3, "GuestBooted"));
        publish(uid, event("corral.vm.failed", uid, crashing, node, 4, "GuestCrashed"));
        var second = awaitVm(crashing, Duration.ofSeconds(30), v -> v.getInt("status.restart.count") == 2);
        assertThat(Duration.between(Instant.now(), Instant.parse(second.getString("status.restart.nextAt"))).toMillis())
                .isBetween(0L, 2_000L);

        String clean = unique("clean");
        String cleanUid = createVm(vmBody(clean, image(), 1, 256, pool, null)).then().statusCode(201).extract().path("metadata.uid");
        publish(cleanUid, event("corral.vm.running", cleanUid, clean, node, 1, "GuestBooted"));
        publish(cleanUid, event("corral.vm.stopped", cleanUid, clean, node, 2, "GuestPoweredOff"));
        awaitVm(clean, Duration.ofSeconds(30), v -> "Stopped".equals(v.getString("status.phase")));
        given().queryParam("involvedObject", "vm/" + clean).get("/v1/events").then()
                .body("items.find { it.reason == 'NotRestarted' }.message",
                        equalTo("Not restarted (GuestPoweredOff): restartPolicy is OnFailure and it stopped cleanly."));
        Thread.sleep(1500);
        assertThat(Api.getVm(clean).getString("spec.restartRequestedAt")).isNull();

        // The user starts it again: its runState already says Running, so the start asks the node through a new
        // restartRequestedAt; starting a VM that runs changes nothing of the kind.
        given().post("/v1/vms/" + clean + "/start").then().statusCode(200).body("spec.restartRequestedAt", notNullValue());
        publish(cleanUid, event("corral.vm.running", cleanUid, clean, node, 3, "Started"));
        awaitVm(clean, Duration.ofSeconds(30), v -> "Running".equals(v.getString("status.phase")));
        String requested = Api.getVm(clean).getString("spec.restartRequestedAt");
        given().post("/v1/vms/" + clean + "/start").then().statusCode(200).body("spec.restartRequestedAt", equalTo(requested));
    }

    @Test
    void whatItsUserAsksForBeforeAPlannedRestartSupersedesThePlan() throws Exception {
        String node = unique("node");
        registerNode(node, pool, 4, 4096, "kvm-hardware", null).then().statusCode(201);
        String name = unique("superseded");
        String uid = createVm(vmBody(name, image(), 1, 256, pool, "\"restartPolicy\": \"Always\"")).then().statusCode(201)
                .extract().path("metadata.uid");
        publish(uid, event("corral.vm.running", uid, name, node, 1, "GuestBooted"));
        publish(uid, event("corral.vm.failed", uid, name, node, 2, "GuestCrashed"));
        awaitVm(name, Duration.ofSeconds(30), v -> "GuestCrashed".equals(v.getString("status.restart.reason")));
        given().post("/v1/vms/" + name + "/restart").then().statusCode(200);
        var settled = awaitVm(name, Duration.ofSeconds(30), v -> v.getString("status.restart.nextAt") == null);
        var reasons = given().queryParam("involvedObject", "vm/" + name).get("/v1/events").then().extract()
                .<String>jsonPath().getList("items.reason", String.class);
        if (reasons.contains("RestartSuperseded")) {
            // The usual case: the user's restart came within the backoff, so the control plane does not restart it again.
            assertThat(reasons).doesNotContain("Restarting");
            assertThat(settled.getLong("metadata.generation")).isEqualTo(2);
        } else {
            // The planned restart ran first (a slow machine): the user's came after it, never the other way round.
            assertThat(reasons.indexOf("Restarting")).isLessThan(reasons.indexOf("RestartRequested"));
        }
    }
}
