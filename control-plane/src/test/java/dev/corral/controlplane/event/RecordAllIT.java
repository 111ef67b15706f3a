package dev.corral.controlplane.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.controlplane.store.ResourceStore;
import dev.corral.controlplane.store.StoredObject;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

/** Events recorded together (the status consumer's poll) read as if each had been recorded on its own, in order. */
@QuarkusTest
class RecordAllIT {

    @Inject
    EventService events;

    @Inject
    ResourceStore store;

    @Inject
    ObjectMapper json;

    private StoredObject vm() throws Exception {
        var spec = json.readTree("{\"image\": \"x\", \"vcpus\": 1, \"memoryMiB\": 64}");
        var status = json.readTree("{\"phase\": \"Scheduled\", \"resources\": {\"vcpus\": 1, \"memoryMiB\": 64}}");
        String name = "events-" + UUID.randomUUID().toString().substring(0, 8);
        return QuarkusTransaction.requiringNew().call(() -> store.insert("VM", "default", name, Map.of(), spec, status, null));
    }

    private List<String> listed(StoredObject o) {
        return events.list("default", "vm/" + o.name(), 100, null).items().stream()
                .map(e -> e.reason() + "x" + e.count()).toList();
    }

    @Test
    void repeatsFoldIntoTheLatestEventAndEverythingElseIsInsertedInOrder() throws Exception {
        var a = vm();
        var b = vm();
        var fresh = vm();
        var booted = EventService.Note.normal("GuestBooted", "booted");
        var stopped = EventService.Note.normal("GuestPoweredOff", "off");
        QuarkusTransaction.requiringNew().run(() -> events.record(a, "Normal", "GuestBooted", "booted"));
        QuarkusTransaction.requiringNew().run(() -> events.record(b, "Normal", "GuestPoweredOff", "off"));
        QuarkusTransaction.requiringNew().run(() -> events.recordAll(List.of(
                new EventService.About(a, booted), new EventService.About(b, booted), new EventService.About(a, booted),
                new EventService.About(fresh, stopped), new EventService.About(a, stopped), new EventService.About(fresh, stopped),
                new EventService.About(a, booted), new EventService.About(a, booted),
                new EventService.About(b, new EventService.Note("Warning", "GuestBooted", "booted")))));
        // a: its latest said "booted", so the first two fold into it; then off, then booted twice in a row.
        assertThat(listed(a)).containsExactly("GuestBootedx3", "GuestPoweredOffx1", "GuestBootedx2");
        // b: a different latest, so a new event; the same reason as a Warning is another event.
        assertThat(listed(b)).containsExactly("GuestPoweredOffx1", "GuestBootedx1", "GuestBootedx1");
        assertThat(listed(fresh)).containsExactly("GuestPoweredOffx2");
        var types = events.list("default", "vm/" + b.name(), 100, null).items().stream().map(e -> e.type()).toList();
        assertThat(types).containsExactly("Normal", "Normal", "Warning");
    }
}
