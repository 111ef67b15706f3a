package dev.corral.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two control-plane replicas sharing one PostgreSQL take 50 creates at once, half each, against a project quota of
 * 10 vCPUs: exactly 10 are admitted (and placed), every other one is a 403 quota-exceeded problem, and the quota's
 * usage says 10. Deleting one through either replica lets one more in.
 */
@ExtendWith(TwoReplicas.class)
class QuotaIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern REFUSED = Pattern.compile(
            "Quota exceeded in project \\S+: vcpus (\\d+) in use \\+ 1 requested > limit 10\\.");

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void fiftyConcurrentCreatesThroughTwoReplicasAdmitExactlyTheQuota(TwoReplicas.Pair replicas) throws Exception {
        var first = replicas.first();
        var second = replicas.second();
        String project = "quota-" + UUID.randomUUID().toString().substring(0, 8);
        String pool = project + "-pool";
        ok(send(first.server, first.adminToken, "POST", "/v1/projects", "{\"metadata\": {\"name\": \"" + project + "\"}}"), 201);
        // Room for all 50 on one node: only the quota may refuse them.
        ok(send(first.server, first.adminToken, "PUT", "/v1/nodes/" + pool + "-node", """
                {"labels": {"pool": "%s"}, "accelerator": "kvm-hardware", "capacity": {"vcpus": 64, "memoryMiB": 65536}}""".formatted(pool)), 201);
        String image = image(first, project);
        var quota = ok(send(second.server, second.adminToken, "PUT", "/v1/projects/" + project + "/quota", "{\"vcpus\": 10}"), 200);
        assertThat(quota.path("limits").path("vcpus").asInt()).isEqualTo(10);

        var start = new CountDownLatch(1);
        var answers = new ArrayList<Future<HttpResponse<String>>>();
        try (var pool50 = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 50; i++) {
                var replica = replicas.replica(i);
                String body = vm("vm-" + i, image, pool);
                answers.add(pool50.submit(() -> {
                    start.await();
                    return send(replica.server, replica.adminToken, "POST", "/v1/vms?project=" + project, body);
                }));
            }
            start.countDown();
        }
        int admitted = 0;
        int refused = 0;
        for (var answer : answers) {
            var r = answer.get();
            if (r.statusCode() == 201) {
                admitted++;
                continue;
            }
            assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
            assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
            var problem = JSON.readTree(r.body());
            assertThat(problem.path("type").asText()).isEqualTo("https://corral.dev/problems/quota-exceeded");
            var detail = REFUSED.matcher(problem.path("detail").asText());
            assertThat(detail.matches()).as(r.body()).isTrue();
            assertThat(Integer.parseInt(detail.group(1))).isEqualTo(10);
            refused++;
        }
        assertThat(admitted).isEqualTo(10);
        assertThat(refused).isEqualTo(40);

        for (var replica : List.of(first, second)) {
            var used = ok(send(replica.server, replica.adminToken, "GET", "/v1/projects/" + project + "/quota", null), 200).path("used");
            assertThat(used.path("vcpus").asDouble()).isEqualTo(10.0);
            assertThat(used.path("instances").asInt()).isEqualTo(10);
        }
        var vms = ok(send(first.server, first.adminToken, "GET", "/v1/vms?project=" + project, null), 200).path("items");
        assertThat(vms).hasSize(10);
        var placed = new ArrayList<String>();
        vms.forEach(v -> placed.add(v.path("status").path("phase").asText()));
        assertThat(placed).containsOnly("Scheduled");

        // A delete gives the share back at once, whichever replica the next create reaches.
        String gone = vms.get(0).path("metadata").path("name").asText();
        ok(send(second.server, second.adminToken, "DELETE", "/v1/vms/" + gone + "?project=" + project, null), 200);
        assertThat(send(second.server, second.adminToken, "POST", "/v1/vms?project=" + project, vm("vm-50", image, pool)).statusCode())
                .isEqualTo(201);
        assertThat(send(first.server, first.adminToken, "POST", "/v1/vms?project=" + project, vm("vm-51", image, pool)).statusCode())
                .isEqualTo(403);
    }

    private static String vm(String name, String image, String pool) {
        return """
                {"metadata": {"name": "%s"}, "spec": {"image": "%s", "vcpus": 1, "memoryMiB": 64, "nodeSelector": {"pool": "%s"}}}"""
                .formatted(name, image, pool);
    }

    /** An uploaded kernel blob and an image of the project using it. */
    private String image(ControlPlaneProcess cp, String project) throws Exception {
        var upload = http.send(HttpRequest.newBuilder(cp.server.resolve("/v1/blobs")).header("Authorization", "Bearer " + cp.adminToken)
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofString("kernel of " + project)).build(), HttpResponse.BodyHandlers.ofString());
        String sha = ok(upload, 201).path("sha256").asText();
        ok(send(cp.server, cp.adminToken, "POST", "/v1/images?project=" + project,
                "{\"metadata\": {\"name\": \"kernel\"}, \"spec\": {\"kernel\": {\"sha256\": \"" + sha + "\"}}}"), 201);
        return "kernel";
    }

    private static JsonNode ok(HttpResponse<String> response, int status) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        return JSON.readTree(response.body());
    }

    private HttpResponse<String> send(URI server, String token, String method, String path, String json) throws Exception {
        var request = HttpRequest.newBuilder(server.resolve(path)).header("Authorization", "Bearer " + token);
        if (json != null) {
            request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
