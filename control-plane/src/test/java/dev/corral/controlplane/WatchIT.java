package dev.corral.controlplane;

import static dev.corral.controlplane.Api.createVm;
import static dev.corral.controlplane.Api.image;
import static dev.corral.controlplane.Api.json;
import static dev.corral.controlplane.Api.registerNode;
import static dev.corral.controlplane.Api.unique;
import static dev.corral.controlplane.Api.vmBody;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

@QuarkusTest
class WatchIT {

    @TestHTTPResource("/")
    URI base;

    @Inject
    DataSource dataSource;

    private final String pool = unique("pool");

    /** One server-sent event. */
    record Sse(String id, String event, JsonPath data) {
    }

    /** Reads events from a watch until {@code count} arrived or the timeout. */
    private CompletableFuture<List<Sse>> watch(String pathAndQuery, String lastEventId, int count) {
        var builder = HttpRequest.newBuilder(base.resolve(pathAndQuery)).header("Accept", "text/event-stream")
                .header("Authorization", "Bearer " + ApiTokens.admin());
        if (lastEventId != null) {
            builder.header("Last-Event-ID", lastEventId);
        }
        var client = HttpClient.newHttpClient();
        return client.sendAsync(builder.build(), HttpResponse.BodyHandlers.ofInputStream()).thenApply(response -> {
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
            var events = new ArrayList<Sse>();
            try (var reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                String id = null;
                String event = null;
                for (String line; events.size() < count && (line = reader.readLine()) != null; ) {
                    if (line.startsWith("id: ")) {
                        id = line.substring(4);
                    } else if (line.startsWith("event: ")) {
                        event = line.substring(7);
                    } else if (line.startsWith("data: ")) {
                        events.add(new Sse(id, event, new JsonPath(line.substring(6))));
                    }
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return events;
        });
    }

    @Test
    void watchWhoseClientWentAwayEndsOnTheServer() throws Exception {
        int before = dev.corral.controlplane.store.WatchStream.active();
        var client = HttpClient.newHttpClient();
        var response = client.send(HttpRequest.newBuilder(base.resolve("/v1/vms?watch=true")).header("Accept", "text/event-stream")
                .header("Authorization", "Bearer " + ApiTokens.admin()).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        var body = response.body();
        assertThat(body.read()).as("the watch opened").isEqualTo(':');
        awaitActive(before + 1);
        body.close();
        client.close();
        // Nothing changes meanwhile, so no write could fail: the watch must notice the closed connection itself.
        awaitActive(before);
    }

    private static void awaitActive(int expected) throws InterruptedException {
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
        while (dev.corral.controlplane.store.WatchStream.active() != expected && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(dev.corral.controlplane.store.WatchStream.active()).isEqualTo(expected);
    }

    @Test
    void watchFromAListsResourceVersionSeesEveryChangeInOrder() throws Exception {
        String img = image();
        String label = unique("w");
        String rv = given().queryParam("labelSelector", "watch=" + label).get("/v1/vms").then().statusCode(200)
                .extract().path("metadata.resourceVersion");
        var events = watch("/v1/vms?watch=true&timeoutSeconds=30&labelSelector=watch%3D" + label + "&resourceVersion=" + rv, null, 3);
        String name = unique("watched");
        String body = """
                {"metadata": {"name": "%s", "labels": {"watch": "%s"}}, "spec": {"image": "%s", "vcpus": 1, "memoryMiB": 64,
                 "nodeSelector": {"pool": "%s"}}}""".formatted(name, label, img, pool);
        createVm(body).then().statusCode(201);
        // Another VM without the label must not show up in this watch.
        createVm(vmBody(unique("unwatched"), img, 1, 64, pool, null)).then().statusCode(201);
        given().delete("/v1/vms/" + name).then().statusCode(200);
        var seen = events.get(30, TimeUnit.SECONDS);
        assertThat(seen).extracting(Sse::event).containsExactly("ADDED", "MODIFIED", "DELETED");
        assertThat(seen).allSatisfy(e -> assertThat(e.data().getString("object.metadata.name")).isEqualTo(name));
        assertThat(seen.get(1).data().getString("object.status.conditions[0].reason")).isEqualTo("Unschedulable");
        long previous = Long.parseLong(rv);
        for (var e : seen) {
            assertThat(Long.parseLong(e.id())).isGreaterThan(previous);
            assertThat(e.data().getString("type")).isEqualTo(e.event());
            previous = Long.parseLong(e.id());
        }

        // A client that dropped after the first event resumes with Last-Event-ID and misses nothing.
        var resumed = watch("/v1/vms?watch=true&timeoutSeconds=30&labelSelector=watch%3D" + label, seen.getFirst().id(), 2);
        assertThat(resumed.get(30, TimeUnit.SECONDS)).extracting(Sse::id).containsExactly(seen.get(1).id(), seen.get(2).id());
    }

    @Test
    void agentWatchOfAssignmentsSeesItsWorkloadsArriveAndGo() throws Exception {
        String node = unique("node");
        registerNode(node, pool, 4, 4096, "kvm-hardware", null).then().statusCode(201);
        String rv = given().get("/v1/nodes/" + node + "/assignments").then().statusCode(200)
                .extract().path("metadata.resourceVersion");
        var events = watch("/v1/nodes/" + node + "/assignments?watch=true&timeoutSeconds=30&resourceVersion=" + rv, null, 3);
        String name = unique("assigned");
        createVm(vmBody(name, image(), 1, 256, pool, null)).then().statusCode(201).body("status.node", equalTo(node));
        json().body("{}").post("/v1/vms/" + name + "/stop").then().statusCode(200);
        given().delete("/v1/vms/" + name).then().statusCode(200);
        var seen = events.get(30, TimeUnit.SECONDS);
        // A VM that fits is inserted with its node: the create itself is the first the node sees.
        assertThat(seen).extracting(Sse::event).containsExactly("ADDED", "MODIFIED", "DELETED");
        assertThat(seen.get(0).data().getString("object.status.phase")).isEqualTo("Scheduled");
        assertThat(seen.get(1).data().getString("object.spec.runState")).isEqualTo("Stopped");
    }

    @Test
    void resumingFromATrimmedVersionIsGone() throws Exception {
        createVm(vmBody(unique("old"), image(), 1, 64, pool, null)).then().statusCode(201);
        try (var c = dataSource.getConnection(); var s = c.createStatement()) {
            // What the hourly trim does to old entries.
            s.executeUpdate("DELETE FROM watch_log WHERE resource_version < (SELECT max(resource_version) FROM watch_log)");
        }
        given().queryParam("watch", true).queryParam("resourceVersion", 1).get("/v1/vms").then().statusCode(410)
                .contentType("application/problem+json")
                .body("type", equalTo("https://corral.dev/problems/resource-version-too-old"));
        given().queryParam("watch", true).queryParam("resourceVersion", "abc").get("/v1/vms").then().statusCode(400);
    }

    @Test
    void listWithoutWatchIsJsonWhateverTheClientAccepts() {
        given().accept("text/event-stream, application/json").get("/v1/instancetypes").then().statusCode(200)
                .contentType("application/json").body("kind", equalTo("InstanceTypeList"));
    }

    @Test
    void watchEndsAtItsTimeoutSoClientsReconnect() throws Exception {
        long start = System.nanoTime();
        var events = watch("/v1/instancetypes?watch=true&timeoutSeconds=1", null, 1);
        assertThat(events.get(20, TimeUnit.SECONDS)).isEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    }
}
