package dev.corral.controlplane;

import static dev.corral.controlplane.Api.unique;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.controlplane.store.ResourceStore;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

/**
 * The store itself refuses a second VM with a MAC another VM has: what holds when two creates draw the same random MAC
 * at once, between the create's check and its insert.
 */
@QuarkusTest
class MacUniquenessIT {

    @Inject
    ResourceStore store;

    @Inject
    ObjectMapper json;

    @Test
    void aSecondVmWithTheSameMacIsRefusedByTheStore() throws Exception {
        String mac = dev.corral.controlplane.network.Macs.random();
        var status = json.readTree("{\"phase\": \"Pending\", \"resources\": {\"vcpus\": 1, \"memoryMiB\": 64}, "
                + "\"network\": {\"mac\": \"" + mac + "\"}}");
        var spec = json.readTree("{\"image\": \"x\", \"vcpus\": 1, \"memoryMiB\": 64, \"network\": \"attached\"}");
        QuarkusTransaction.requiringNew().run(() -> store.insert("VM", "default", unique("mac"), Map.of(), spec, status, null));
        assertThatThrownBy(() -> QuarkusTransaction.requiringNew().run(
                () -> store.insert("VM", "default", unique("mac"), Map.of(), spec, status, null)))
                .hasRootCauseInstanceOf(org.postgresql.util.PSQLException.class)
                .rootCause().hasMessageContaining("resource_vm_mac");
        // Other kinds are not held to it.
        QuarkusTransaction.requiringNew().run(() -> store.insert("Container", "default", unique("mac"), Map.of(), spec, status, null));
    }
}
