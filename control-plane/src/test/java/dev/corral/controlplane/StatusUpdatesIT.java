package dev.corral.controlplane;

import static dev.corral.controlplane.Api.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.controlplane.problem.ConflictException;
import dev.corral.controlplane.store.ResourceStore;
import dev.corral.controlplane.store.StoredObject;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

/**
 * Many statuses written in one statement (the status consumer's poll): each object its own resourceVersion, in order,
 * each change in the watch log as the API renders it; one stale object and nothing is written.
 */
@QuarkusTest
class StatusUpdatesIT {

    @Inject
    ResourceStore store;

    @Inject
    ObjectMapper json;

    @Inject
    DataSource dataSource;

    private List<StoredObject> insert(int n) throws Exception {
        var spec = json.readTree("{\"image\": \"x\", \"vcpus\": 1, \"memoryMiB\": 64}");
        var status = json.readTree("{\"phase\": \"Scheduled\", \"resources\": {\"vcpus\": 1, \"memoryMiB\": 64}}");
        var objects = new ArrayList<StoredObject>();
        for (int i = 0; i < n; i++) {
            String name = unique("status");
            objects.add(QuarkusTransaction.requiringNew().call(
                    () -> store.insert("VM", "default", name, Map.of("i", "x"), spec, status, "node-a")));
        }
        return objects;
    }

    private JsonNode status(String phase, long sequence) throws Exception {
        return json.readTree("{\"phase\": \"" + phase + "\", \"eventSequence\": " + sequence
                + ", \"resources\": {\"vcpus\": 1, \"memoryMiB\": 64}}");
    }

    @Test
    void eachObjectTakesTheNextVersionInOrderAndItsChangeIsInTheWatchLog() throws Exception {
        var objects = insert(3);
        long before = store.currentResourceVersion();
        QuarkusTransaction.requiringNew().run(() -> {
            var locked = store.findForUpdate(objects.stream().map(StoredObject::uid).toList());
            var changes = new ArrayList<ResourceStore.StatusChange>();
            // Not in the order they were inserted: the order given is the order of their versions.
            for (int i : new int[] {2, 0, 1}) {
                try {
                    changes.add(new ResourceStore.StatusChange(locked.get(objects.get(i).uid()), status("Running", 10 + i)));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
            store.updateStatuses(changes);
        });
        var versions = new ArrayList<Long>();
        for (int i : new int[] {2, 0, 1}) {
            var now = store.find("VM", "default", objects.get(i).name()).orElseThrow();
            assertThat(now.status().path("phase").asText()).isEqualTo("Running");
            assertThat(now.status().path("eventSequence").asLong()).isEqualTo(10 + i);
            assertThat(now.spec()).as("only the status changes").isEqualTo(objects.get(i).spec());
            assertThat(now.labels()).isEqualTo(Map.of("i", "x"));
            assertThat(now.generation()).isEqualTo(1);
            versions.add(now.resourceVersion());
        }
        assertThat(versions).containsExactly(before + 1, before + 2, before + 3);
        assertThat(store.currentResourceVersion()).isEqualTo(before + 3);

        try (var c = dataSource.getConnection();
             var s = c.prepareStatement("SELECT resource_version, name, node, type, object FROM watch_log "
                     + "WHERE resource_version > ? ORDER BY resource_version")) {
            s.setLong(1, before);
            try (var rs = s.executeQuery()) {
                for (int i : new int[] {2, 0, 1}) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getString("name")).isEqualTo(objects.get(i).name());
                    assertThat(rs.getString("node")).as("announced to the node it is on").isEqualTo("node-a");
                    assertThat(rs.getString("type")).isEqualTo("MODIFIED");
                    var logged = json.readTree(rs.getString("object"));
                    assertThat(logged.path("metadata").path("resourceVersion").asText())
                            .isEqualTo(Long.toString(rs.getLong("resource_version")));
                    assertThat(logged.path("status").path("eventSequence").asLong()).isEqualTo(10 + i);
                    assertThat(logged.path("spec").path("image").asText()).isEqualTo("x");
                }
                assertThat(rs.next()).isFalse();
            }
        }
    }

    @Test
    void oneObjectChangedSinceItWasReadAndNothingIsWritten() throws Exception {
        var objects = insert(2);
        var stale = store.find("VM", "default", objects.get(1).name()).orElseThrow();
        QuarkusTransaction.requiringNew().run(() -> store.update(stale, stale.labels(), stale.spec(), stale.status(), stale.node()));
        long before = store.currentResourceVersion();
        var fresh = store.find("VM", "default", objects.get(0).name()).orElseThrow();
        assertThatThrownBy(() -> QuarkusTransaction.requiringNew().run(() -> {
            try {
                store.updateStatuses(List.of(new ResourceStore.StatusChange(fresh, status("Running", 1)),
                        new ResourceStore.StatusChange(stale, status("Running", 1))));
            } catch (Exception e) {
                throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
            }
        })).isInstanceOf(ConflictException.class).hasMessageContaining("1 of 2 objects changed or were deleted meanwhile");
        assertThat(store.currentResourceVersion()).isEqualTo(before);
        assertThat(store.find("VM", "default", objects.get(0).name()).orElseThrow().status().path("phase").asText())
                .isEqualTo("Scheduled");
    }
}
