package dev.corral.agent.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.corral.agent.reconcile.Desired;
import org.junit.jupiter.api.Test;

/** What the agent reads from an assignment as the control plane writes it, fields it does not send yet included. */
class AssignmentDesiredTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static Desired read(String spec, String status) throws Exception {
        var object = JSON.readTree("""
                {"kind": "VM", "metadata": {"uid": "u1", "name": "web-1", "project": "default", "generation": 3},
                 "spec": %s, "status": %s}""".formatted(spec, status));
        return AssignmentWatcher.desired("node-a", object).orElseThrow();
    }

    @Test
    void disksNetworkAndDiskSpaceAreReadFromSpecAndStatus() throws Exception {
        var d = read("""
                {"image": "debian", "network": "attached",
                 "disks": {"bootSizeGiB": 10, "volumes": [{"name": "data", "sizeGiB": 20}, {"name": "logs", "sizeGiB": 1}]}}""", """
                {"node": "node-a", "resources": {"vcpus": 2, "memoryMiB": 1024, "diskGiB": 31},
                 "network": {"mac": "02:c0:ff:ee:00:01", "ip": "10.88.0.7", "subnet": "10.88.0.0/24"}}""");
        assertThat(d.disks()).isEqualTo(new Desired.Disks(10, List.of(new Desired.Volume("data", 20), new Desired.Volume("logs", 1))));
        assertThat(d.network()).isEqualTo(new Desired.Network("02:c0:ff:ee:00:01", "10.88.0.7", "10.88.0.0/24"));
        assertThat(d.diskGiB()).isEqualTo(31L);
    }

    @Test
    void aContainersProcessIsReadFromItsSpec() throws Exception {
        var object = JSON.readTree("""
                {"kind": "Container", "metadata": {"uid": "u2", "name": "web", "project": "default", "generation": 1},
                 "spec": {"image": "busybox", "command": ["httpd", "-f"], "env": {"A": "1"}, "workingDir": "/var/www",
                          "pidsLimit": 64, "readOnlyRootFilesystem": true, "cpus": 0.5, "memoryMiB": 32},
                 "status": {"node": "node-a", "resources": {"vcpus": 0.5, "memoryMiB": 32}}}""");
        var d = AssignmentWatcher.desired("node-a", object).orElseThrow();
        assertThat(d.container()).isEqualTo(new Desired.ContainerSpec(List.of("httpd", "-f"), null, java.util.Map.of("A", "1"),
                "/var/www", 64, true));
        assertThat(d.vcpus()).isEqualTo(0.5);
        assertThat(read("{\"image\": \"debian\"}", "{\"node\": \"node-a\"}").container()).isNull();
    }

    @Test
    void aVmWithoutDisksOrNetworkHasNone() throws Exception {
        var d = read("{\"image\": \"debian\"}", "{\"node\": \"node-a\", \"resources\": {\"vcpus\": 1, \"memoryMiB\": 64}}");
        assertThat(d.disks()).isEqualTo(Desired.Disks.NONE);
        assertThat(d.network()).isNull();
        assertThat(d.diskGiB()).isNull();
    }

    @Test
    void aNetworkTheSpecDoesNotAskForIsIgnoredAndOneNotAssignedYetReadsAsUnassigned() throws Exception {
        var none = read("{\"network\": \"none\"}", "{\"node\": \"node-a\", \"network\": {\"mac\": \"02:00:00:00:00:01\"}}");
        assertThat(none.network()).isNull();
        var pending = read("{\"network\": \"attached\"}", "{\"node\": \"node-a\", \"network\": {\"mac\": \"02:00:00:00:00:01\"}}");
        assertThat(pending.network()).isEqualTo(new Desired.Network("02:00:00:00:00:01", null, null));
    }

    @Test
    void oddShapesReadAsAbsentRatherThanFail() throws Exception {
        var d = read("{\"disks\": {\"bootSizeGiB\": \"big\", \"volumes\": [{\"sizeGiB\": 1}, {\"name\": \"v\"}]}}",
                "{\"node\": \"node-a\", \"resources\": {\"diskGiB\": \"lots\"}}");
        assertThat(d.disks().bootSizeGiB()).isNull();
        assertThat(d.disks().volumes()).containsExactly(new Desired.Volume("v", 0));
        assertThat(d.diskGiB()).isNull();
    }
}
