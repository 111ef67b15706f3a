package dev.corral.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two control-plane replicas sharing one PostgreSQL place concurrent creates onto one node: each replica places
 * inside its creates' shared commits, and still the node is never booked beyond its capacity.
 */
@ExtendWith(TwoReplicas.class)
class PlacementReplicasIT {

    private static final Pattern PHASE = Pattern.compile("\"phase\"\\s*:\\s*\"(\\w+)\"");
    private static final Pattern MEMORY = Pattern.compile("\"allocated\"\\s*:\\s*\\{[^}]*\"memoryMiB\"\\s*:\\s*([0-9]+)");

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void concurrentCreatesThroughTwoReplicasNeverOverbookANode(TwoReplicas.Pair replicas) throws Exception {
        var first = replicas.first();
        var second = replicas.second();
        // A project, pool and node of its own: the replicas are shared with other tests.
        String project = "place-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        assertThat(send(first.server, first.adminToken, "POST", "/v1/projects", "application/json",
                ("{\"metadata\":{\"name\":\"" + project + "\"}}").getBytes()).statusCode()).isEqualTo(201);
        byte[] kernel = ("placement replicas kernel " + project).getBytes(StandardCharsets.UTF_8);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(kernel));
        assertThat(send(first.server, first.adminToken, "POST", "/v1/blobs", "application/octet-stream", kernel).statusCode())
                .isIn(200, 201);
        assertThat(send(first.server, first.adminToken, "POST", "/v1/images?project=" + project, "application/json",
                ("{\"metadata\":{\"name\":\"pr\"},\"spec\":{\"kernel\":{\"sha256\":\"" + sha + "\"}}}").getBytes()).statusCode()).isEqualTo(201);
        // Memory is handed out 1:1 (vCPUs 4:1): the node's 2 GiB take exactly eight VMs of 256 MiB.
        int capacity = 8;
        assertThat(send(first.server, first.adminToken, "PUT", "/v1/nodes/" + project, "application/json",
                ("{\"labels\":{\"pool\":\"" + project + "\"},\"accelerator\":\"kvm-hardware\",\"capacity\":{\"vcpus\":64,"
                        + "\"memoryMiB\":" + capacity * 256 + "}}").getBytes()).statusCode()).isIn(200, 201);

        int creates = 48;
        var barrier = new CyclicBarrier(creates);
        var calls = new ArrayList<Callable<String>>();
        for (int i = 0; i < creates; i++) {
            var replica = replicas.replica(i);
            String body = "{\"metadata\":{\"name\":\"vm-" + i + "\"},\"spec\":{\"image\":\"pr\",\"vcpus\":1,\"memoryMiB\":256,"
                    + "\"nodeSelector\":{\"pool\":\"" + project + "\"}}}";
            calls.add(() -> {
                barrier.await();
                var answer = send(replica.server, replica.adminToken, "POST", "/v1/vms?project=" + project, "application/json", body.getBytes());
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(201);
                var phase = PHASE.matcher(answer.body());
                assertThat(phase.find()).isTrue();
                return phase.group(1);
            });
        }
        int scheduled = 0;
        try (var threads = Executors.newFixedThreadPool(creates)) {
            for (var f : threads.invokeAll(calls)) {
                scheduled += "Scheduled".equals(f.get()) ? 1 : 0;
            }
        }
        assertThat(scheduled).as("creates answered Scheduled").isEqualTo(capacity);
        var node = send(second.server, second.adminToken, "GET", "/v1/nodes/" + project, null, null).body();
        var memory = MEMORY.matcher(node);
        assertThat(memory.find()).as(node).isTrue();
        assertThat(Long.parseLong(memory.group(1))).as("MiB booked on the node").isEqualTo(capacity * 256L);
        var list = send(first.server, first.adminToken, "GET", "/v1/vms?limit=100&project=" + project, null, null).body();
        assertThat(PHASE.matcher(list).results().filter(m -> m.group(1).equals("Scheduled")).count())
                .as("VMs the store holds as Scheduled").isEqualTo(capacity);
    }

    private HttpResponse<String> send(URI server, String token, String method, String path, String type, byte[] body) throws Exception {
        var request = HttpRequest.newBuilder(server.resolve(path)).header("Authorization", "Bearer " + token);
        if (body != null) {
            request.header("Content-Type", type).method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
