package dev.corral.controlplane.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Random;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.corral.api.AssignedDevice;
import dev.corral.api.CloudEvent;
import dev.corral.api.LifecycleData;
import org.junit.jupiter.api.Test;

/** The status consumer's reading of a lifecycle event against the event as node agents write it (the api records). */
class StatusEventTest {

    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    private static final long SEED = Long.getLong("corral.test.seed", 19);

    private static StatusEvent parse(String json) throws Exception {
        return StatusEvent.parse(JSON.getFactory(), json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsEveryFieldThatMovesAStatusAsTheAgentWroteIt() throws Exception {
        var random = new Random(SEED);
        String[] actions = {"starting", "running", "exists", "stopping", "stopped", "failed", "deleted", "scheduled"};
        for (int i = 0; i < 500; i++) {
            String uid = new java.util.UUID(random.nextLong(), random.nextLong()).toString();
            var data = new LifecycleData(random.nextBoolean() ? "VM" : "Container", uid, "w-" + i,
                    random.nextBoolean() ? "default" : "p é " + i,
                    random.nextInt(4) == 0 ? null : "node-" + random.nextInt(9), 1 + random.nextInt(1_000_000),
                    random.nextBoolean() ? null : (long) random.nextInt(5), random.nextInt(64) / 2.0, random.nextInt(65536),
                    random.nextBoolean() ? List.of() : List.of(new AssignedDevice("0000:3b:00.0", "gpu")),
                    random.nextBoolean() ? null : "Reason" + i, random.nextBoolean() ? null : "a \"quoted\"\nmessage " + i,
                    random.nextBoolean() ? null : "kvm", random.nextBoolean() ? null : (long) random.nextInt(100),
                    random.nextBoolean() ? null : random.nextInt(256) - 128);
            var time = random.nextInt(10) == 0 ? null
                    : Instant.ofEpochSecond(1_790_000_000L + random.nextInt(100_000_000), random.nextInt(1_000_000_000));
            String action = actions[random.nextInt(actions.length)];
            var event = new CloudEvent<>(CloudEvent.SPEC_VERSION, uid + "-" + data.sequence(), "/corral/nodes/n", "corral.vm." + action,
                    time, "vm/w", "application/json", data);
            var read = parse(JSON.writeValueAsString(event));
            assertThat(read).as("seed %d, event %d", SEED, i).isEqualTo(new StatusEvent(event.id(), action, time, data.kind(), uid,
                    data.name(), data.project(), data.node(), data.sequence(), data.generation(), data.reason(), data.message(),
                    data.accelerator(), data.exitCode()));
        }
    }

    @Test
    void unknownFieldsAreSkippedAndATimeItDoesNotSayIsNull() throws Exception {
        var e = parse("""
                {"future":{"nested":[1,{"x":2}]},"type":"corral.container.stopped","id":"u-3",
                 "data":{"extra":[true,{"y":null}],"kind":"Container","uid":"u","name":"job","project":"p","sequence":7,
                         "exitCode":3,"generation":null}}""");
        assertThat(e).isEqualTo(new StatusEvent("u-3", "stopped", null, "Container", "u", "job", "p", null, 7, null, null, null,
                null, 3));
    }

    @Test
    void whatIsNotALifecycleEventOrHasAFieldOfTheWrongTypeIsRefused() {
        assertThatThrownBy(() -> parse("{\"id\":\"x\",\"type\":\"corral.vm.running\"}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs a type and data");
        assertThatThrownBy(() -> parse("[1,2]")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> parse("not json")).isInstanceOf(java.io.IOException.class);
        assertThatThrownBy(() -> parse("""
                {"type":"corral.vm.running","data":{"kind":"VM","uid":"u","sequence":0}}"""))
                .hasMessageContaining("sequence of at least 1");
        assertThatThrownBy(() -> parse("""
                {"type":"corral.vm.running","data":{"kind":"VM","uid":"u","sequence":"5"}}"""))
                .hasMessageContaining("sequence must be an integer");
        assertThatThrownBy(() -> parse("""
                {"type":"corral.vm.running","data":{"kind":"VM","uid":7,"sequence":5}}""")).hasMessageContaining("uid must be a string");
        assertThatThrownBy(() -> parse("""
                {"type":"corral.vm.running","data":[]}""")).hasMessageContaining("data must be an object");
        assertThatThrownBy(() -> parse("""
                {"type":"corral.vm.stopped","data":{"kind":"VM","uid":"u","sequence":5,"exitCode":4294967296}}"""))
                .hasMessageContaining("exitCode out of range");
        assertThatThrownBy(() -> parse("""
                {"type":"corral.vm.running","time":"yesterday","data":{"kind":"VM","uid":"u","sequence":5}}"""))
                .isInstanceOf(java.time.DateTimeException.class);
    }
}
