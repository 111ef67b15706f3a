package dev.corral.examples.billing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.corral.embedded.EmbeddedKafka;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The reference consumer against a real broker: duplicates, an out-of-order pair and an exists-only workload. */
class BillingConsumerTest {

    private static String event(String uid, String project, long sequence, String action, String time, int gpus) {
        return event(uid, project, sequence, action, time, gpus, 0);
    }

    private static String event(String uid, String project, long sequence, String action, String time, int gpus, long diskGiB) {
        String devices = gpus == 0 ? "[]" : "[{\"address\":\"0000:3b:00.0\",\"class\":\"gpu\"}]";
        return """
                {"specversion":"1.0","id":"%1$s-%3$d","source":"/corral/nodes/n1","type":"corral.vm.%4$s","time":"%5$s",
                 "subject":"vm/w","datacontenttype":"application/json","data":{"kind":"VM","uid":"%1$s","name":"w",
                 "project":"%2$s","node":"n1","sequence":%3$d,"vcpus":2,"memoryMiB":2048,"devices":%6$s%7$s}}"""
                .formatted(uid, project, sequence, action, time, devices, diskGiB == 0 ? "" : ",\"diskGiB\":" + diskGiB);
    }

    @Test
    void printsPerProjectTotalsFromARealTopicWhateverTheRepeats() throws Exception {
        String a = UUID.randomUUID().toString();
        String b = UUID.randomUUID().toString();
        String c = UUID.randomUUID().toString();
        var records = List.of(
                // a: runs 10:00-11:00 in "shop" with a GPU and 10 GiB of disk, then is stopped 11:00-11:30 and deleted.
                List.of(a, event(a, "shop", 1, "scheduled", "2026-11-01T09:59:00Z", 1, 10)),
                List.of(a, event(a, "shop", 2, "running", "2026-11-01T10:00:00Z", 1, 10)),
                List.of(a, event(a, "shop", 2, "running", "2026-11-01T10:00:00Z", 1, 10)),
                List.of(a, event(a, "shop", 4, "stopped", "2026-11-01T11:00:00Z", 1, 10)),
                List.of(a, event(a, "shop", 3, "stopping", "2026-11-01T10:59:00Z", 1, 10)),
                List.of(a, event(a, "shop", 5, "deleted", "2026-11-01T11:30:00Z", 1, 10)),
                List.of(a, event(a, "shop", 1, "scheduled", "2026-11-01T09:59:00Z", 1, 10)),
                // b: seen only through exists at 12:00 and 12:30, then stopped at 13:00 and deleted.
                List.of(b, event(b, "shop", 7, "exists", "2026-11-01T12:00:00Z", 0)),
                List.of(b, event(b, "shop", 8, "exists", "2026-11-01T12:30:00Z", 0)),
                List.of(b, event(b, "shop", 9, "stopped", "2026-11-01T13:00:00Z", 0)),
                List.of(b, event(b, "shop", 10, "deleted", "2026-11-01T13:00:00Z", 0)),
                // c: another project, 30 minutes.
                List.of(c, event(c, "lab", 1, "running", "2026-11-01T10:00:00Z", 0)),
                List.of(c, event(c, "lab", 2, "deleted", "2026-11-01T10:30:00Z", 0)),
                List.of(c, "not an event"));
        try (var kafka = EmbeddedKafka.startTemporary()) {
            try (var producer = new KafkaProducer<String, String>(Map.of("bootstrap.servers", kafka.bootstrapServers()),
                    new StringSerializer(), new StringSerializer())) {
                for (var r : records) {
                    producer.send(new ProducerRecord<>("corral.lifecycle.v1", r.get(0), r.get(1))).get();
                }
            }
            var stdout = System.out;
            var captured = new ByteArrayOutputStream();
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            try {
                BillingConsumer.main(new String[] {kafka.bootstrapServers(), "--until-idle"});
            } finally {
                System.setOut(stdout);
            }
            assertThat(captured.toString(StandardCharsets.UTF_8).lines().toList()).containsExactly(
                    "PROJECT                       RUNNING-S         VCPU-S          GIB-S     DISK-GIB-S  DEVICE-S",
                    "lab                                1800           3600           3600              0  ",
                    "shop                               7200          14400          14400          54600  gpu=5460");
        }
    }

    @Test
    void theSameEventsInAnyOrderOfDuplicatesGiveTheSameTotals() {
        String a = UUID.randomUUID().toString();
        var once = new BillingConsumer();
        var twice = new BillingConsumer();
        var events = List.of(event(a, "p", 1, "running", "2026-11-01T00:00:00Z", 0),
                event(a, "p", 2, "stopped", "2026-11-01T01:00:00Z", 0));
        events.forEach(once::accept);
        for (var e : List.of(events.get(1), events.get(0), events.get(1), events.get(0))) {
            twice.accept(e);
        }
        Instant now = Instant.parse("2026-11-02T00:00:00Z");
        assertThat(twice.totals(now).get("p").runningSeconds).isEqualTo(once.totals(now).get("p").runningSeconds).isEqualTo(3600);
    }
}
