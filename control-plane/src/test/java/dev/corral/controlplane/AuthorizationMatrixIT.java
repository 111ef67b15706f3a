package dev.corral.controlplane;

import static dev.corral.controlplane.Api.json;
import static dev.corral.controlplane.Api.unique;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import javax.sql.DataSource;

import dev.corral.controlplane.vm.rest.VmConsoleAttachRoute;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.Produces;
import org.junit.jupiter.api.Test;

/**
 * Every endpoint of the API, found by reflection over the JAX-RS resources (plus the console attach route), called
 * as each of nine identities; each cell must be allowed (any answer but 401/403) or denied (401 for no working token,
 * 403 otherwise, as problem+json with a one-line reason) exactly as {@link #EXPECTED} says. An endpoint missing from
 * {@link #EXPECTED} fails the test: a new endpoint cannot be forgotten.
 */
@QuarkusTest
class AuthorizationMatrixIT {

    enum Who { ANONYMOUS, EXPIRED, REVOKED, VIEWER_P1, MEMBER_P1, MEMBER_P2, NODE_N1, NODE_N2, ADMIN }

    private static final Set<Who> UNAUTHENTICATED = Set.of(Who.ANONYMOUS, Who.EXPIRED, Who.REVOKED);
    private static final Set<Who> ANY = Set.of(Who.VIEWER_P1, Who.MEMBER_P1, Who.MEMBER_P2, Who.NODE_N1, Who.NODE_N2, Who.ADMIN);
    private static final Set<Who> PEOPLE = Set.of(Who.VIEWER_P1, Who.MEMBER_P1, Who.MEMBER_P2, Who.ADMIN);
    private static final Set<Who> P1_READ = Set.of(Who.VIEWER_P1, Who.MEMBER_P1, Who.ADMIN);
    private static final Set<Who> P1_WRITE = Set.of(Who.MEMBER_P1, Who.ADMIN);
    private static final Set<Who> ADMIN = Set.of(Who.ADMIN);
    private static final Set<Who> N1 = Set.of(Who.NODE_N1, Who.ADMIN);

    /**
     * Who may call each endpoint, asked about project p1 ({@code ?project=p1}), node n1, project p1 by name, an image
     * of p1 that a VM on n1 uses and its kernel blob.
     */
    private static final Map<String, Set<Who>> EXPECTED = new TreeMap<>(Map.ofEntries(
            Map.entry("GET /v1/version", ANY),
            Map.entry("GET /v1/tokens", ADMIN),
            Map.entry("GET /v1/audit", ADMIN),
            Map.entry("POST /v1/tokens", ADMIN),
            Map.entry("GET /v1/tokens/current", ANY),
            Map.entry("GET /v1/tokens/{id}", ADMIN),
            Map.entry("DELETE /v1/tokens/{id}", ADMIN),
            Map.entry("GET /v1/projects", ADMIN),
            Map.entry("POST /v1/projects", ADMIN),
            Map.entry("GET /v1/projects/{name}", P1_READ),
            Map.entry("PUT /v1/projects/{name}", ADMIN),
            Map.entry("DELETE /v1/projects/{name}", ADMIN),
            Map.entry("GET /v1/projects/{name}/quota", P1_READ),
            Map.entry("PUT /v1/projects/{name}/quota", ADMIN),
            Map.entry("GET /v1/vms", P1_READ),
            Map.entry("POST /v1/vms", P1_WRITE),
            Map.entry("GET /v1/vms/{name}", P1_READ),
            Map.entry("PUT /v1/vms/{name}", P1_WRITE),
            Map.entry("DELETE /v1/vms/{name}", P1_WRITE),
            Map.entry("POST /v1/vms/{name}/start", P1_WRITE),
            Map.entry("POST /v1/vms/{name}/stop", P1_WRITE),
            Map.entry("POST /v1/vms/{name}/restart", P1_WRITE),
            Map.entry("GET /v1/vms/{name}/console", P1_READ),
            Map.entry("GET /v1/vms/{name}/console/attach", P1_WRITE),
            Map.entry("GET /v1/containers", P1_READ),
            Map.entry("POST /v1/containers", P1_WRITE),
            Map.entry("GET /v1/containers/{name}", P1_READ),
            Map.entry("PUT /v1/containers/{name}", P1_WRITE),
            Map.entry("DELETE /v1/containers/{name}", P1_WRITE),
            Map.entry("POST /v1/containers/{name}/start", P1_WRITE),
            Map.entry("POST /v1/containers/{name}/stop", P1_WRITE),
            Map.entry("POST /v1/containers/{name}/restart", P1_WRITE),
            Map.entry("GET /v1/containers/{name}/logs", P1_READ),
            Map.entry("POST /v1/containers/{name}/exec", P1_WRITE),
            Map.entry("GET /v1/images", P1_READ),
            Map.entry("POST /v1/images", P1_WRITE),
            Map.entry("GET /v1/images/{name}", Set.of(Who.VIEWER_P1, Who.MEMBER_P1, Who.NODE_N1, Who.ADMIN)),
            Map.entry("PUT /v1/images/{name}", P1_WRITE),
            Map.entry("DELETE /v1/images/{name}", P1_WRITE),
            Map.entry("POST /v1/blobs", Set.of(Who.MEMBER_P1, Who.MEMBER_P2, Who.ADMIN)),
            Map.entry("GET /v1/blobs/{sha256}", Set.of(Who.VIEWER_P1, Who.MEMBER_P1, Who.MEMBER_P2, Who.NODE_N1, Who.ADMIN)),
            Map.entry("GET /v1/nodes", PEOPLE),
            Map.entry("GET /v1/nodes/{name}", Set.of(Who.VIEWER_P1, Who.MEMBER_P1, Who.MEMBER_P2, Who.NODE_N1, Who.ADMIN)),
            Map.entry("PUT /v1/nodes/{name}", N1),
            Map.entry("POST /v1/nodes/{name}/heartbeat", N1),
            Map.entry("POST /v1/nodes/{name}/cordon", ADMIN),
            Map.entry("POST /v1/nodes/{name}/uncordon", ADMIN),
            Map.entry("GET /v1/nodes/{name}/assignments", N1),
            Map.entry("GET /v1/instancetypes", PEOPLE),
            Map.entry("POST /v1/instancetypes", ADMIN),
            Map.entry("GET /v1/instancetypes/{name}", PEOPLE),
            Map.entry("PUT /v1/instancetypes/{name}", ADMIN),
            Map.entry("DELETE /v1/instancetypes/{name}", ADMIN),
            Map.entry("GET /v1/events", P1_READ),
            Map.entry("GET /v1/usage", P1_READ)));

    /** Requests beyond one per endpoint: the same endpoints asked about more than p1. */
    private static final Map<String, Set<Who>> EXTRA = Map.of(
            "GET /v1/vms?allProjects=true", ADMIN,
            "GET /v1/usage", ADMIN,
            "GET /v1/images?project=P2", Set.of(Who.MEMBER_P2, Who.ADMIN),
            "GET /v1/nodes/N2/assignments", Set.of(Who.NODE_N2, Who.ADMIN));

    @Inject
    DataSource dataSource;

    private final HttpClient http = HttpClient.newHttpClient();
    private final Map<Who, String> tokens = new LinkedHashMap<>();
    private String p1;
    private String p2;
    private String n1;
    private String n2;
    private String image;
    private String blob;

    @Test
    void everyEndpointAllowsExactlyWhoItShouldAndDeniesEveryoneElse() throws Exception {
        setUp();
        var endpoints = endpoints();
        assertThat(EXPECTED.keySet()).as("endpoints with an expectation but no longer served").isSubsetOf(endpoints.keySet());
        var failures = new ArrayList<String>();
        int cells = 0;
        for (var endpoint : endpoints.entrySet()) {
            Set<Who> allowed = EXPECTED.get(endpoint.getKey());
            if (allowed == null) {
                failures.add(endpoint.getKey() + ": no expectation in AuthorizationMatrixIT.EXPECTED (a new endpoint needs one)");
                continue;
            }
            String[] verbAndPath = endpoint.getKey().split(" ", 2);
            String uri = concrete(verbAndPath[0], verbAndPath[1]) + "?project=" + p1;
            for (String accept : endpoint.getValue()) {
                for (Who who : Who.values()) {
                    cells++;
                    check(failures, endpoint.getKey(), verbAndPath[0], uri, accept, who, allowed.contains(who));
                }
            }
        }
        for (var extra : EXTRA.entrySet()) {
            String[] verbAndPath = extra.getKey().replace("P2", p2).replace("N2", n2).split(" ", 2);
            for (Who who : Who.values()) {
                cells++;
                check(failures, extra.getKey(), verbAndPath[0], verbAndPath[1], "application/json", who, extra.getValue().contains(who));
            }
        }
        assertThat(failures).as("%d cells of %d endpoints checked", cells, endpoints.size()).isEmpty();
        assertThat(cells).isGreaterThan(EXPECTED.size() * Who.values().length - 1);
    }

    private void check(List<String> failures, String endpoint, String verb, String uri, String accept, Who who, boolean allowed)
            throws IOException, InterruptedException {
        var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + RestAssured.port + uri)).header("Accept", accept + ", application/problem+json");
        if (tokens.containsKey(who)) {
            request.header("Authorization", "Bearer " + tokens.get(who));
        }
        boolean upload = endpoint.equals("POST /v1/blobs");
        if (verb.equals("POST") || verb.equals("PUT")) {
            request.header("Content-Type", upload ? "application/octet-stream" : "application/json")
                    .method(verb, HttpRequest.BodyPublishers.ofString(upload ? "" : "{}"));
        } else {
            request.method(verb, HttpRequest.BodyPublishers.noBody());
        }
        var response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        int status = response.statusCode();
        String cell = endpoint + " as " + who + " -> " + status;
        if (allowed) {
            if (status == 401 || status == 403) {
                failures.add(cell + " (expected allowed): " + response.body());
            }
            return;
        }
        int expected = UNAUTHENTICATED.contains(who) ? 401 : 403;
        String type = response.headers().firstValue("Content-Type").orElse("");
        if (status != expected) {
            failures.add(cell + " (expected " + expected + "): UNEXPECTED ALLOW OR WRONG DENIAL: " + abbreviate(response.body()));
        } else if (!type.startsWith("application/problem+json") || !response.body().contains("\"detail\"")
                || response.body().contains("\\n")) {
            failures.add(cell + ": not a one-line problem+json: " + type + " " + abbreviate(response.body()));
        } else if (status == 401 && response.headers().firstValue("WWW-Authenticate").isEmpty()) {
            failures.add(cell + ": 401 without WWW-Authenticate");
        }
    }

    /** "VERB /path" of every endpoint, each with the media types its methods produce (one request per type). */
    static Map<String, List<String>> endpoints() throws IOException, ClassNotFoundException {
        var found = new TreeMap<String, List<String>>();
        Path classes = Path.of("target/classes");
        try (Stream<Path> files = Files.walk(classes.resolve("dev/corral/controlplane"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                String name = classes.relativize(file).toString().replace('/', '.').replaceFirst("\\.class$", "");
                Class<?> type = Class.forName(name, false, AuthorizationMatrixIT.class.getClassLoader());
                var root = type.getAnnotation(jakarta.ws.rs.Path.class);
                if (root == null || Modifier.isAbstract(type.getModifiers())) {
                    continue;
                }
                for (Method m : type.getMethods()) {
                    String verb = verb(m);
                    if (verb == null || m.isBridge()) {
                        continue;
                    }
                    var sub = m.getAnnotation(jakarta.ws.rs.Path.class);
                    String path = join(root.value(), sub == null ? "" : sub.value());
                    var produces = m.getAnnotation(Produces.class) != null ? m.getAnnotation(Produces.class)
                            : m.getDeclaringClass().getAnnotation(Produces.class);
                    String media = produces == null ? "*/*" : produces.value()[0].replaceFirst(";.*", "");
                    found.computeIfAbsent(verb + " " + path, k -> new ArrayList<>()).add(media);
                }
            }
        }
        // The console attach is a Vert.x route (it upgrades to a WebSocket), not a JAX-RS method.
        found.put("GET " + VmConsoleAttachRoute.PATH.replace(":name", "{name}"), List.of("application/json"));
        return found;
    }

    private static String verb(Method m) {
        for (Annotation a : m.getAnnotations()) {
            var http = a.annotationType().getAnnotation(HttpMethod.class);
            if (http != null) {
                return http.value();
            }
        }
        return null;
    }

    private static String join(String a, String b) {
        String path = ("/" + a + "/" + b).replaceAll("/+", "/");
        return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }

    /**
     * The path with its parameters filled in: p1, n1, the image of p1 on n1 (to read it; nothing else may touch it)
     * and its blob, or names that exist nowhere.
     */
    private String concrete(String verb, String template) {
        String name;
        if (template.startsWith("/v1/projects/")) {
            name = p1;
        } else if (template.startsWith("/v1/nodes/")) {
            name = n1;
        } else if (template.equals("/v1/images/{name}") && verb.equals("GET")) {
            name = image;
        } else {
            name = "matrix-none";
        }
        return template.replace("{name}", name).replace("{sha256}", blob).replace("{id}", "tok-0000000000000000");
    }

    /**
     * Projects p1 and p2; a node n1 (registered with its own token) running a VM of p1 whose image's kernel is
     * {@link #blob}; a token for each identity; the expired one expired by the database clock.
     */
    private void setUp() throws Exception {
        p1 = unique("p1");
        p2 = unique("p2");
        n1 = unique("n1");
        n2 = unique("n2");
        for (String p : List.of(p1, p2)) {
            json().body("{\"metadata\": {\"name\": \"" + p + "\"}}").post("/v1/projects").then().statusCode(201);
        }
        tokens.put(Who.ADMIN, ApiTokens.admin());
        tokens.put(Who.VIEWER_P1, token("{\"subject\": \"vera\", \"role\": \"viewer\", \"project\": \"" + p1 + "\"}"));
        tokens.put(Who.MEMBER_P1, token("{\"subject\": \"max\", \"role\": \"member\", \"project\": \"" + p1 + "\"}"));
        tokens.put(Who.MEMBER_P2, token("{\"subject\": \"mia\", \"subjectKind\": \"ServiceAccount\", \"role\": \"member\", \"project\": \"" + p2 + "\"}"));
        tokens.put(Who.NODE_N1, token("{\"role\": \"node\", \"node\": \"" + n1 + "\"}"));
        tokens.put(Who.NODE_N2, token("{\"role\": \"node\", \"node\": \"" + n2 + "\"}"));
        var expiring = json().body("{\"subject\": \"old\", \"role\": \"member\", \"project\": \"" + p1 + "\", \"expiresAt\": \""
                + Instant.now().plusSeconds(3600) + "\"}").post("/v1/tokens").then().statusCode(201).extract();
        String expired = expiring.path("id");
        tokens.put(Who.EXPIRED, expiring.path("token"));
        try (var c = dataSource.getConnection(); var s = c.prepareStatement("UPDATE token SET expires_at = now() - interval '1 second' WHERE id = ?")) {
            s.setString(1, expired);
            assertThat(s.executeUpdate()).isEqualTo(1);
        }
        var revoked = json().body("{\"subject\": \"gone\", \"role\": \"admin\"}").post("/v1/tokens").then().statusCode(201).extract();
        given().delete("/v1/tokens/" + revoked.path("id")).then().statusCode(200);
        tokens.put(Who.REVOKED, revoked.path("token"));

        String pool = unique("pool");
        given().header("Authorization", "Bearer " + tokens.get(Who.NODE_N1)).contentType("application/json").body("""
                {"labels": {"pool": "%s"}, "accelerator": "kvm-hardware", "capacity": {"vcpus": 4, "memoryMiB": 8192}}""".formatted(pool))
                .put("/v1/nodes/" + n1).then().statusCode(201);
        blob = Api.upload(("kernel of " + p1).getBytes());
        image = unique("img");
        json().body("""
                {"metadata": {"name": "%s"}, "spec": {"kernel": {"sha256": "%s"}}}""".formatted(image, blob))
                .post("/v1/images?project=" + p1).then().statusCode(201);
        json().body(Api.vmBody(unique("vm"), image, 1, 64, pool, null)).post("/v1/vms?project=" + p1).then().statusCode(201)
                .body("status.phase", org.hamcrest.Matchers.equalTo("Scheduled"));
    }

    private String token(String request) {
        return json().body(request).post("/v1/tokens").then().statusCode(201).extract().path("token");
    }

    private static String abbreviate(String body) {
        return body.length() > 300 ? body.substring(0, 300) + "..." : body;
    }
}
