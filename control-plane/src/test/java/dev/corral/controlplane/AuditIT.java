package dev.corral.controlplane;

import static dev.corral.controlplane.Api.json;
import static dev.corral.controlplane.Api.unique;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/** Every mutating request is in the audit log, with who sent it and what it got, and on corral.audit.v1. */
@QuarkusTest
class AuditIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    DataSource dataSource;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Test
    void aCreateAForbiddenDeleteAndAnAnonymousPostAreAuditedWithWhoAndOutcome() throws Exception {
        String since = Instant.now().minusSeconds(1).toString();
        String project = unique("audit");
        String create = unique("req-create");
        String denied = unique("req-denied");
        String anonymous = unique("req-anon");

        json().header("X-Request-Id", create).body("{\"metadata\": {\"name\": \"" + project + "\"}}").post("/v1/projects")
                .then().statusCode(201).header("X-Request-Id", create);
        String viewer = json().body("{\"subject\": \"auditor\", \"role\": \"viewer\", \"project\": \"" + project + "\"}")
                .post("/v1/tokens").then().statusCode(201).extract().path("token");
        String viewerId = given().header("Authorization", "Bearer " + viewer).get("/v1/tokens/current").then().extract().path("id");
        given().header("Authorization", "Bearer " + viewer).header("X-Request-Id", denied)
                .delete("/v1/vms/web-1?project=" + project).then().statusCode(403);
        given().header("Authorization", "Bearer corral_not-a-token").header("X-Request-Id", anonymous).contentType("application/json")
                .body("{}").post("/v1/vms?project=" + project).then().statusCode(401);
        // Refused before Quarkus' authentication ran (web.HttpGuards), still audited as the admin's.
        String tooLong = unique("req-414");
        given().header("X-Request-Id", tooLong).post("/v1/vms?pad=" + "a".repeat(9000)).then().statusCode(414);
        // A request without an id of its own (or with one that is not tame) is given one.
        given().header("X-Request-Id", "not tame!").post("/v1/nodes/no-such-node/cordon").then()
                .header("X-Request-Id", matchesPattern("[0-9a-f-]{36}"));

        Map<String, JsonNode> logged = awaitInLog(since, List.of(create, denied, anonymous, tooLong));
        assertThat(logged.get(tooLong).path("status").asInt()).isEqualTo(414);
        assertThat(logged.get(tooLong).path("identity").path("role").asText()).isEqualTo("admin");
        JsonNode created = logged.get(create);
        assertThat(created.path("method").asText()).isEqualTo("POST");
        assertThat(created.path("status").asInt()).isEqualTo(201);
        assertThat(created.path("object").path("kind").asText()).isEqualTo("Project");
        assertThat(created.path("object").path("name").asText()).isEqualTo(project);
        assertThat(created.path("identity").path("role").asText()).isEqualTo("admin");
        JsonNode forbidden = logged.get(denied);
        assertThat(forbidden.path("status").asInt()).isEqualTo(403);
        assertThat(forbidden.path("path").asText()).isEqualTo("/v1/vms/web-1");
        assertThat(forbidden.path("object").toString()).isEqualTo("{\"kind\":\"VM\",\"name\":\"web-1\",\"project\":\"" + project + "\"}");
        assertThat(forbidden.path("identity").toString()).isEqualTo("{\"tokenId\":\"" + viewerId
                + "\",\"subject\":\"auditor\",\"subjectKind\":\"User\",\"role\":\"viewer\",\"project\":\"" + project + "\"}");
        JsonNode unauthenticated = logged.get(anonymous);
        assertThat(unauthenticated.path("status").asInt()).isEqualTo(401);
        assertThat(unauthenticated.has("identity")).as("anonymous: no identity").isFalse();
        assertThat(logged.values().toString()).doesNotContain("corral_");

        Map<String, JsonNode> published = awaitOnTopic(List.of(create, denied, anonymous));
        for (String id : List.of(create, denied, anonymous)) {
            assertThat(published.get(id)).as("request %s on corral.audit.v1", id).isEqualTo(logged.get(id));
        }

        // A record the topic never acknowledged (the broker was away; the control plane stopped first) is sent again.
        String lost = unique("req-lost");
        try (var c = dataSource.getConnection(); var s = c.prepareStatement("INSERT INTO audit (at, request_id, method, path, status) "
                + "VALUES (now() - interval '1 minute', ?, 'POST', '/v1/vms', 401)")) {
            s.setString(1, lost);
            s.executeUpdate();
        }
        assertThat(awaitOnTopic(List.of(lost)).get(lost).path("status").asInt()).isEqualTo(401);

        // Only admins read it; its query is strict.
        given().header("Authorization", "Bearer " + viewer).get("/v1/audit").then().statusCode(403);
        given().get("/v1/audit?since=yesterday").then().statusCode(400).body("errors[0].field", equalTo("since"));
        given().get("/v1/audit?limit=0").then().statusCode(400).body("errors[0].field", equalTo("limit"));
    }

    /** The records of these requests, read a page of one at a time (the log is written just after each answer). */
    private static Map<String, JsonNode> awaitInLog(String since, List<String> requestIds) throws Exception {
        var found = new HashMap<String, JsonNode>();
        for (int attempt = 0; attempt < 200 && found.size() < requestIds.size(); attempt++) {
            found.clear();
            String next = null;
            do {
                var page = given().queryParam("since", since).queryParam("limit", 1)
                        .queryParams(next == null ? Map.of() : Map.of("continue", next)).get("/v1/audit")
                        .then().statusCode(200).extract().asString();
                JsonNode list = JSON.readTree(page);
                for (JsonNode item : list.path("items")) {
                    if (requestIds.contains(item.path("requestId").asText())) {
                        found.put(item.path("requestId").asText(), item);
                    }
                }
                next = list.path("metadata").path("continue").asText(null);
            } while (next != null);
            if (found.size() < requestIds.size()) {
                Thread.sleep(50);
            }
        }
        assertThat(found.keySet()).containsExactlyInAnyOrderElementsOf(requestIds);
        return found;
    }

    private Map<String, JsonNode> awaitOnTopic(List<String> requestIds) throws Exception {
        var props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        var found = new HashMap<String, JsonNode>();
        try (var consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            var partition = new TopicPartition("corral.audit.v1", 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            for (int polls = 0; polls < 100 && found.size() < requestIds.size(); polls++) {
                for (var record : consumer.poll(Duration.ofMillis(200))) {
                    if (requestIds.contains(record.key())) {
                        found.put(record.key(), JSON.readTree(record.value()));
                    }
                }
            }
        }
        assertThat(found.keySet()).containsExactlyInAnyOrderElementsOf(requestIds);
        return found;
    }
}
