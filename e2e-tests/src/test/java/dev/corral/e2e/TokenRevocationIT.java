package dev.corral.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two control-plane replicas sharing one PostgreSQL, each caching the tokens it read: a token revoked through one is
 * refused by it on the very next request and by the other as soon as PostgreSQL's notification of the change reaches
 * it, and neither database row nor answer ever shows its secret again.
 */
@ExtendWith(TwoReplicas.class)
class TokenRevocationIT {

    private static final Pattern FIELD = Pattern.compile("\"(id|token)\"\\s*:\\s*\"([^\"]+)\"");

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aTokenRevokedThroughOneReplicaIsRefusedByItAtOnceAndByTheOtherWhenTheDatabaseNotifiesIt(TwoReplicas.Pair replicas)
            throws Exception {
        var first = replicas.first();
        var second = replicas.second();
        var created = send(first.server, first.adminToken, "POST", "/v1/tokens", "{\"subject\": \"ci\", \"role\": \"viewer\", \"project\": \"default\"}");
        assertThat(created.statusCode()).isEqualTo(201);
        String id = field(created.body(), "id");
        String token = field(created.body(), "token");
        for (int i = 0; i < 3; i++) { // each replica reads the token once, then answers it from its cache
            assertThat(send(first.server, token, "GET", "/v1/vms", null).statusCode()).isEqualTo(200);
            assertThat(send(second.server, token, "GET", "/v1/vms", null).statusCode()).isEqualTo(200);
        }

        assertThat(send(second.server, second.adminToken, "DELETE", "/v1/tokens/" + id, null).statusCode()).isEqualTo(200);

        // The replica that revoked it refuses it on the very next request; the other drops it from its cache when
        // PostgreSQL's notification of the change reaches it, milliseconds later (docs/0009).
        assertRefused(send(second.server, token, "GET", "/v1/vms", null), second, id);
        HttpResponse<String> other;
        long deadline = System.nanoTime() + 10_000_000_000L;
        do {
            other = send(first.server, token, "GET", "/v1/vms", null);
            if (other.statusCode() == 401) {
                break;
            }
            Thread.sleep(10);
        } while (System.nanoTime() < deadline);
        assertRefused(other, first, id);
        assertThat(send(first.server, first.adminToken, "GET", "/v1/tokens", null).body()).contains(id).doesNotContain(token);
    }

    private static void assertRefused(HttpResponse<String> refused, ControlPlaneProcess replica, String id) {
        assertThat(refused.statusCode()).as(replica.server.toString()).isEqualTo(401);
        assertThat(refused.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        assertThat(refused.body()).contains("The bearer token " + id + " was revoked at ");
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

    private static String field(String body, String name) {
        var m = FIELD.matcher(body);
        while (m.find()) {
            if (m.group(1).equals(name)) {
                return m.group(2);
            }
        }
        throw new AssertionError("no " + name + " in " + body);
    }
}
