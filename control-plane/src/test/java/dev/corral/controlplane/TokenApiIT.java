package dev.corral.controlplane;

import static dev.corral.controlplane.Api.json;
import static dev.corral.controlplane.Api.unique;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;

import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;

import javax.sql.DataSource;

import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

@QuarkusTest
class TokenApiIT {

    @Inject
    DataSource dataSource;

    @Test
    void aRequestWithoutATokenIsUnauthorizedAsProblemJson() {
        given().header("Authorization", "Basic YWRtaW46YWRtaW4=").get("/v1/vms").then().statusCode(401)
                .contentType("application/problem+json")
                .header("WWW-Authenticate", startsWith("Bearer"))
                .body("type", equalTo("https://corral.dev/problems/unauthorized"))
                .body("detail", equalTo("The Authorization header must be 'Bearer <token>'."));
        given().header("Authorization", "Bearer corral_not-a-token").get("/v1/vms").then().statusCode(401)
                .body("detail", equalTo("The bearer token is not one this control plane issued."));
    }

    @Test
    void aTokenIsShownOnceStoredAsAHashAndFailsAtOnceWhenRevoked() throws Exception {
        String project = unique("tok");
        json().body("{\"metadata\": {\"name\": \"" + project + "\"}}").post("/v1/projects").then().statusCode(201);
        var created = json().body("""
                {"subject": "ci-bot", "subjectKind": "ServiceAccount", "role": "viewer", "project": "%s"}""".formatted(project))
                .post("/v1/tokens").then().statusCode(201)
                .header("Location", containsString("/v1/tokens/tok-"))
                .body("role", equalTo("viewer"))
                .body("token", startsWith("corral_"))
                .extract();
        String id = created.path("id");
        String token = created.path("token");

        given().get("/v1/tokens/" + id).then().statusCode(200).body("token", nullValue()).body("project", equalTo(project));
        given().get("/v1/tokens").then().statusCode(200).body("items.id", hasItem(id)).body("items.token", not(hasItem(token)));
        try (var c = dataSource.getConnection(); var s = c.prepareStatement("SELECT t::text FROM token t WHERE id = ?")) {
            s.setString(1, id);
            try (var rs = s.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).doesNotContain(token).doesNotContain(token.substring("corral_".length()));
            }
        }

        var asViewer = given().header("Authorization", "Bearer " + token);
        asViewer.get("/v1/tokens/current").then().statusCode(200).body("id", equalTo(id)).body("subject", equalTo("ci-bot"));
        given().header("Authorization", "Bearer " + token).get("/v1/vms?project=" + project).then().statusCode(200);
        given().header("Authorization", "Bearer " + token).contentType("application/json")
                .body(Api.vmBody(unique("vm"), "img", 1, 64, "none", null)).post("/v1/vms?project=" + project).then().statusCode(403)
                .contentType("application/problem+json")
                .body("detail", equalTo("Token " + id + " (viewer of project " + project + ") may not POST /v1/vms: that needs member of project "
                        + project + "."));
        given().header("Authorization", "Bearer " + token).get("/v1/vms").then().statusCode(403);

        given().delete("/v1/tokens/" + id).then().statusCode(200).body("revokedAt", notNullValue());
        given().header("Authorization", "Bearer " + token).get("/v1/vms?project=" + project).then().statusCode(401)
                .body("detail", startsWith("The bearer token " + id + " was revoked at "));
    }

    @Test
    void theBootstrapAdminTokenIsReadableByItsOwnerOnly() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(ApiTokens.ADMIN_TOKEN_FILE))).isEqualTo("rw-------");
        given().get("/v1/tokens/current").then().statusCode(200).body("role", equalTo("admin")).body("bootstrap", equalTo(true));
    }

    /**
     * Another replica's revocation (or an operator's UPDATE): the same SQL on a connection of its own. This replica
     * answered the token from its cache a moment before; PostgreSQL's notification of the change must empty it.
     */
    @Test
    void aTokenRevokedElsewhereFailsHereAsSoonAsTheDatabaseNotifiesTheChange() throws Exception {
        String project = unique("tok");
        json().body("{\"metadata\": {\"name\": \"" + project + "\"}}").post("/v1/projects").then().statusCode(201);
        var created = json().body("""
                {"subject": "elsewhere", "role": "viewer", "project": "%s"}""".formatted(project))
                .post("/v1/tokens").then().statusCode(201).extract();
        String id = created.path("id");
        String token = created.path("token");
        for (int i = 0; i < 3; i++) { // read from the table once, then from the cache
            given().header("Authorization", "Bearer " + token).get("/v1/vms?project=" + project).then().statusCode(200);
        }
        try (var c = dataSource.getConnection(); var s = c.prepareStatement("UPDATE token SET revoked_at = now() WHERE id = ?")) {
            s.setString(1, id);
            assertThat(s.executeUpdate()).isEqualTo(1);
        }
        assertThat(statusWithin(token, project, 401)).isEqualTo(401);
        given().header("Authorization", "Bearer " + token).get("/v1/vms?project=" + project).then().statusCode(401)
                .body("detail", startsWith("The bearer token " + id + " was revoked at "));

        // A project's deletion takes its tokens with it (ON DELETE CASCADE): that is a change of the table too.
        var member = json().body("""
                {"subject": "gone-with-it", "role": "member", "project": "%s"}""".formatted(project))
                .post("/v1/tokens").then().statusCode(201).extract();
        String memberToken = member.path("token");
        for (int i = 0; i < 3; i++) {
            given().header("Authorization", "Bearer " + memberToken).get("/v1/vms?project=" + project).then().statusCode(200);
        }
        try (var c = dataSource.getConnection(); var s = c.prepareStatement("DELETE FROM token WHERE id = ?")) {
            s.setString(1, member.path("id"));
            assertThat(s.executeUpdate()).isEqualTo(1);
        }
        assertThat(statusWithin(memberToken, project, 401)).isEqualTo(401);
        given().header("Authorization", "Bearer " + memberToken).get("/v1/vms?project=" + project).then().statusCode(401)
                .body("detail", equalTo("The bearer token is not one this control plane issued."));
    }

    /** The status of a read with {@code token}, once it is {@code wanted} or after 10 s: the notification is asynchronous. */
    private static int statusWithin(String token, String project, int wanted) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        int status;
        do {
            status = given().header("Authorization", "Bearer " + token).get("/v1/vms?project=" + project).statusCode();
            if (status == wanted) {
                return status;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        return status;
    }

    @Test
    void aNodeTokenIsForItsOwnNodeOnly() {
        String node = unique("node");
        String token = json().body("{\"role\": \"node\", \"node\": \"" + node + "\"}").post("/v1/tokens").then().statusCode(201)
                .body("subject", equalTo(node)).body("subjectKind", equalTo("Node")).extract().path("token");
        given().header("Authorization", "Bearer " + token).contentType("application/json").body("""
                {"accelerator": "kvm-hardware", "capacity": {"vcpus": 2, "memoryMiB": 2048}}""")
                .put("/v1/nodes/" + node).then().statusCode(201);
        given().header("Authorization", "Bearer " + token).post("/v1/nodes/" + node + "/heartbeat").then().statusCode(204);
        given().header("Authorization", "Bearer " + token).get("/v1/nodes/" + node + "/assignments").then().statusCode(200);
        given().header("Authorization", "Bearer " + token).contentType("application/json").body("""
                {"accelerator": "kvm-hardware", "capacity": {"vcpus": 2, "memoryMiB": 2048}}""")
                .put("/v1/nodes/" + node + "-other").then().statusCode(403);
        given().header("Authorization", "Bearer " + token).get("/v1/vms").then().statusCode(403);
    }
}
